//! What is wrong with something a person wrote or asked, as a stable code and its
//! parameters ([`Fault`]). The server words a fault in English (the API's `message`, the
//! journal, `cocolu check`); the dashboard words the same fault in the person's language, so
//! no server sentence reaches a Spanish screen.

use serde::{Deserialize, Serialize};

/// One thing wrong, said as a code (`{"code": "empty", "what": {"part": "text"}}`) that a
/// client words itself. Unknown codes (from a newer server) read as [`Fault::Other`], and the
/// API's English `message` stands in for them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Fault {
    // The JSON itself.
    /// Not JSON at this point of the text (`detail`: the parser's words).
    Syntax {
        problem: Syntax,
        detail: String,
    },
    /// A word that is not one of the choices (`"contiene"` where `contains` or `regex` go).
    UnknownVariant {
        found: String,
        expected: Vec<String>,
    },
    /// A key the document does not have.
    UnknownField {
        found: String,
        expected: Vec<String>,
    },
    MissingField {
        field: String,
    },
    DuplicateField {
        field: String,
    },
    /// A value of the wrong kind (text where a number goes).
    WrongType {
        found: JsonKind,
        expected: JsonKind,
    },
    /// A value the document cannot take (`detail`: the parser's words).
    InvalidValue {
        detail: String,
    },
    /// The file says a format newer than this Cocolu knows.
    NewerFormat {
        found: u32,
        known: u32,
    },
    /// An older format could not be brought to the current one.
    CannotMigrate {
        detail: String,
    },
    /// The file was deleted; the last good version stays in force.
    FileDeleted,
    /// The file cannot be read (`detail`: the system's words).
    Unreadable {
        detail: String,
    },
    NotUtf8,
    /// A template's name (its file's name) with characters other than `a-z 0-9 _ -`.
    TemplateName,
    /// A log record that cannot be read (`detail`: why).
    CorruptRecord {
        detail: String,
    },
    /// A sealed log segment that ends inside a record.
    IncompleteSegment {
        bytes: u64,
    },

    // Rules.
    NotARuleId {
        id: String,
    },
    NoTrigger,
    /// A regular expression that does not compile (`detail`: the regex crate's words).
    BadPattern {
        detail: String,
    },
    NeverMatches,
    NotAMessageType {
        kind: String,
    },
    NoEffect,
    NotAFieldName {
        name: String,
    },
    NoCaptureTime,
    NoSuchTemplate {
        name: String,
    },
    TemplateOrText,
    TooManyRules {
        found: usize,
        max: usize,
    },
    TooManyTexts {
        max: usize,
    },
    TextTooLong {
        max_bytes: usize,
    },
    PatternsTooLong {
        found_kib: usize,
        max_kib: usize,
    },
    PatternsTooComplex {
        max_mib: usize,
    },
    RuleIdTaken {
        id: String,
    },
    OptionUnanswered {
        id: String,
    },

    // A message and WhatsApp's limits.
    Empty {
        what: Part,
    },
    TooLong {
        what: Part,
        chars: usize,
        max: usize,
    },
    ButtonCount {
        found: usize,
        max: usize,
    },
    SectionCount {
        found: usize,
        max: usize,
    },
    RowCount {
        found: usize,
        max: usize,
    },
    SectionNeedsTitle {
        section: usize,
    },
    TemplateIncomplete,
    NotAMediaType {
        kind: String,
    },
    NoMediaSource,

    // Template texts.
    NeverClosed {
        open: String,
        close: String,
    },
    NotAVariable {
        name: String,
    },
    EmptyBlank,

    // Settings.
    NoBusinessName,
    UnknownTimeZone {
        zone: String,
    },
    NoWhatsappWeb,

    // The WhatsApp connection (`whatsapp.json`).
    NotAMetaId,
    BadSecret,
    SetByServer,

    // A file attached to a reply.
    /// WhatsApp does not carry this type of file as an attachment.
    NotAttachable {
        mime_type: String,
    },
    /// Larger than WhatsApp takes for its type.
    AttachmentTooBig {
        max_mb: usize,
    },
    EmptyFile,
    /// The file's content is not of the type it says (a renamed file).
    NotLikeItsType {
        mime_type: String,
    },
    /// The attached file is not (or no longer) in the data folder.
    NoSuchUpload,
    /// Attached files go through Meta's Cloud API only.
    AttachmentNeedsMeta,

    // The saved answers (`quick_replies.json`).
    NotAShortcut,
    ShortcutTwice {
        shortcut: String,
    },
    TooManyQuickReplies {
        max: usize,
    },
    NotARange {
        range: String,
    },
    NotADate {
        date: String,
    },

    /// Not a phone number with its country code.
    NotAPhoneNumber {
        phone: String,
    },

    // A contact's labels and notes.
    LabelLength {
        max: usize,
    },
    LabelsAtOnce {
        max: usize,
    },
    TooManyLabels {
        max: usize,
    },
    NotesTooLong {
        max: usize,
    },

    // Accounts.
    UsernameLength {
        max: usize,
    },
    UsernameCharacters,
    PasswordTooShort {
        min: usize,
    },
    PasswordTooLong {
        max: usize,
    },
    PasswordIsUsername,
    /// Longer than any account's username (`username_max` bytes) or password.
    CredentialsTooLong {
        username_max: usize,
        password_max: usize,
    },
    NameTooLong {
        max: usize,
    },
    TokenName {
        max: usize,
    },
    LastAdmin,
    IdTwice {
        id: String,
    },
    UsernameTwice {
        username: String,
    },
    NotAnArgonHash,

    /// A code this build does not know.
    Other,
}

/// The kind of a JSON syntax error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Syntax {
    /// The text ends in the middle of a value.
    EndsEarly,
    /// A value was expected (a stray character, a missing value).
    ExpectedValue,
    /// A `,` or a closing bracket was expected.
    ExpectedComma,
    ExpectedColon,
    TrailingComma,
    /// Something follows the document's end.
    TrailingCharacters,
    KeyMustBeText,
    #[serde(other)]
    Other,
}

/// The kind of a JSON value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum JsonKind {
    Text,
    Number,
    Boolean,
    List,
    Object,
    Null,
    #[serde(other)]
    Other,
}

/// A part of a message a limit applies to; buttons, sections and rows counted from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "part", rename_all = "snake_case")]
pub enum Part {
    Text,
    Message,
    Header,
    Footer,
    Caption,
    /// The name a document is shown with.
    FileName,
    ListButton,
    Template,
    ButtonTitle {
        button: usize,
    },
    ButtonId {
        button: usize,
    },
    SectionTitle {
        section: usize,
    },
    RowTitle {
        section: usize,
        row: usize,
    },
    RowId {
        section: usize,
        row: usize,
    },
    RowDescription {
        section: usize,
        row: usize,
    },
}

mod english;
mod parser;
mod reading;
#[cfg(test)]
mod tests;

pub use english::sentence;
pub use parser::{of_body_text, of_json_error};
pub use reading::FaultJson;
