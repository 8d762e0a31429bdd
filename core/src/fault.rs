//! What is wrong with something a person wrote or asked, as a stable code and its
//! parameters ([`Fault`]). The server words a fault in English (the API's `message`, the
//! journal, `cocolu check`); the dashboard words the same fault in the person's language, so
//! no server sentence reaches a Spanish screen.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

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

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Text => f.write_str("the text"),
            Part::Message => f.write_str("the message"),
            Part::Header => f.write_str("the header"),
            Part::Footer => f.write_str("the footer"),
            Part::Caption => f.write_str("the caption"),
            Part::FileName => f.write_str("the file name"),
            Part::ListButton => f.write_str("the list button"),
            Part::Template => f.write_str("the template"),
            Part::ButtonTitle { button } => write!(f, "button {button} title"),
            Part::ButtonId { button } => write!(f, "button {button} id"),
            Part::SectionTitle { section } => write!(f, "section {section} title"),
            Part::RowTitle { section, row } => write!(f, "row {row} of section {section}: title"),
            Part::RowId { section, row } => write!(f, "row {row} of section {section}: id"),
            Part::RowDescription { section, row } => {
                write!(f, "row {row} of section {section}: description")
            }
        }
    }
}

fn quoted(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Fault::*;
        match self {
            Syntax { detail, .. } | InvalidValue { detail } => f.write_str(detail),
            UnknownVariant { found, expected } => write!(
                f,
                "unknown variant `{found}`, expected one of {}",
                quoted(expected)
            ),
            UnknownField { found, expected } => {
                write!(
                    f,
                    "unknown field `{found}`, expected one of {}",
                    quoted(expected)
                )
            }
            MissingField { field } => write!(f, "missing field `{field}`"),
            DuplicateField { field } => write!(f, "duplicate field `{field}`"),
            WrongType { found, expected } => {
                write!(f, "invalid type: {found:?}, expected {expected:?}")
            }
            NewerFormat { found, known } => write!(
                f,
                "this file is format version {found}, newer than this Cocolu understands \
                 ({known}); upgrade Cocolu"
            ),
            CannotMigrate { detail } => write!(f, "cannot migrate: {detail}"),
            FileDeleted => f.write_str(
                "the file was deleted; the last good version stays in force until it is saved \
                 again",
            ),
            Unreadable { detail } => write!(f, "cannot read the file: {detail}"),
            NotUtf8 => f.write_str("the file is not UTF-8 text"),
            TemplateName => {
                f.write_str("a template name uses lowercase letters, digits, _ and - only")
            }
            CorruptRecord { detail } => {
                write!(
                    f,
                    "corrupt record ({detail}); `cocolu repair` moves it aside"
                )
            }
            IncompleteSegment { bytes } => write!(
                f,
                "a sealed segment ends with {bytes} bytes of an incomplete record"
            ),
            NotARuleId { id } => write!(
                f,
                "'{id}' is not a rule id (lowercase letters, digits, _ and -)"
            ),
            NoTrigger => {
                f.write_str("the rule has no trigger: give it `text`, `button` or `message_type`")
            }
            BadPattern { detail } => write!(f, "not a valid regular expression: {detail}"),
            NeverMatches => {
                f.write_str("this text has no letters or digits, so it can never match")
            }
            NotAMessageType { kind } => {
                write!(f, "'{kind}' is not a message type a rule can answer")
            }
            NoEffect => f.write_str("the rule neither replies nor acts"),
            NotAFieldName { name } => write!(
                f,
                "'{name}' is not a field name (lowercase letters, digits, _)"
            ),
            NoCaptureTime => f.write_str("a capture needs at least one minute to be answered"),
            NoSuchTemplate { name } => write!(
                f,
                "there is no template '{name}' (built in or in templates/)"
            ),
            TemplateOrText => f.write_str("give the message either a `template` or a `text`"),
            TooManyRules { found, max } => write!(f, "at most {max} rules (this has {found})"),
            TooManyTexts { max } => write!(f, "a rule has at most {max} texts"),
            TextTooLong { max_bytes } => {
                write!(f, "a text or pattern has at most {max_bytes} bytes")
            }
            PatternsTooLong { found_kib, max_kib } => write!(
                f,
                "the regular expressions of all rules have at most {max_kib} KiB of text \
                 together (these have {found_kib} KiB)"
            ),
            PatternsTooComplex { max_mib } => write!(
                f,
                "the regular expressions of all rules together are too large for the bot to use \
                 (over {max_mib} MiB compiled) from this one on: make some simpler (fewer \
                 repetitions such as {{1000}}, fewer alternatives), or use `contains` rules \
                 instead"
            ),
            RuleIdTaken { id } => write!(f, "another rule already has the id '{id}'"),
            OptionUnanswered { id } => write!(
                f,
                "no rule answers the option '{id}': add it to some rule's `when.button`"
            ),
            Empty { what } => write!(f, "{what} is empty"),
            TooLong { what, chars, max } => {
                write!(f, "{what} has {chars} characters; WhatsApp allows {max}")
            }
            ButtonCount { found, max } => {
                write!(f, "{found} buttons; WhatsApp allows 1 to {max}")
            }
            SectionCount { found, max } => {
                write!(f, "{found} sections; WhatsApp allows 1 to {max}")
            }
            RowCount { found, max } => {
                write!(f, "{found} rows in all; WhatsApp allows 1 to {max}")
            }
            SectionNeedsTitle { section } => {
                write!(f, "section {section} needs a title when there are several")
            }
            TemplateIncomplete => f.write_str("a template needs its name and language"),
            NotAMediaType { kind } => write!(f, "'{kind}' is not a media type WhatsApp sends"),
            NoMediaSource => f.write_str("the media has no id or link"),
            NeverClosed { open, close } => write!(f, "`{open}` is never closed with `{close}`"),
            NotAVariable { name } => write!(
                f,
                "`{{{{{name}}}}}` is not a variable name (lowercase letters, digits, _)"
            ),
            EmptyBlank => f.write_str(
                "`[[ ]]` is empty: write between the brackets what is still to fill in, or \
                 remove it",
            ),
            NoBusinessName => f.write_str("the business name is empty"),
            UnknownTimeZone { zone } => write!(
                f,
                "unknown time zone '{zone}'; use an IANA name such as America/Caracas"
            ),
            NoWhatsappWeb => f.write_str(
                "this Cocolu was built without the WhatsApp Web channel; use \"meta\", or build \
                 it with `cargo build --release --features whatsapp-web`",
            ),
            NotAMetaId => f.write_str("an id from Meta is made of digits only"),
            BadSecret => {
                f.write_str("a token or secret has no spaces and is at most 1024 characters long")
            }
            NotAttachable { mime_type } => write!(
                f,
                "WhatsApp does not take a file of type '{mime_type}' as an attachment; send a \
                 photo (JPEG or PNG) or a document (PDF, Word, Excel, PowerPoint or text)"
            ),
            AttachmentTooBig { max_mb } => write!(
                f,
                "the file is larger than the {max_mb} MB WhatsApp takes for its type"
            ),
            EmptyFile => f.write_str("the file is empty"),
            NotLikeItsType { mime_type } => write!(
                f,
                "the file's content is not a '{mime_type}' file, as its type or name says"
            ),
            NoSuchUpload => f.write_str(
                "the attached file is not on the server (uploads are kept for the media \
                 retention); attach it again",
            ),
            AttachmentNeedsMeta => f.write_str(
                "files attached in the dashboard are sent through Meta's Cloud API only, and \
                 this shop uses the WhatsApp Web channel; send a link to the file instead",
            ),
            NotAShortcut => f.write_str(
                "a shortcut has lowercase letters, digits, _ and - only, at most 32 of them",
            ),
            ShortcutTwice { shortcut } => write!(f, "the shortcut /{shortcut} is used twice"),
            TooManyQuickReplies { max } => write!(f, "at most {max} quick replies"),
            SetByServer => f.write_str(
                "this value is set by the server's configuration (its environment), which wins; \
                 change it there",
            ),
            NotARange { range } => write!(
                f,
                "'{range}' is not a range such as \"09:00-18:00\" (or \"20:00-02:00\" past \
                 midnight)"
            ),
            NotADate { date } => write!(f, "'{date}' is not a date such as \"2026-12-25\""),
            NotAPhoneNumber { phone } => write!(
                f,
                "'{phone}' is not a phone number with its country code, such as +58 412 123 4567"
            ),
            LabelLength { max } => write!(f, "a label has 1 to {max} characters"),
            LabelsAtOnce { max } => write!(f, "at most {max} labels at a time"),
            TooManyLabels { max } => write!(f, "a contact has at most {max} labels"),
            NotesTooLong { max } => write!(f, "notes have at most {max} characters"),
            UsernameLength { max } => write!(f, "a username has 1 to {max} characters"),
            UsernameCharacters => f.write_str(
                "a username has lower case letters, digits and `.` `_` `-` `@` `+` only",
            ),
            PasswordTooShort { min } => {
                write!(f, "the password needs at least {min} characters")
            }
            PasswordTooLong { max } => {
                write!(f, "the password can have at most {max} characters")
            }
            PasswordIsUsername => f.write_str("the password cannot be the username"),
            CredentialsTooLong {
                username_max,
                password_max,
            } => write!(
                f,
                "a username has at most {username_max} bytes and a password at most \
                 {password_max}"
            ),
            NameTooLong { max } => write!(f, "a name has at most {max} characters"),
            TokenName { max } => write!(f, "a token needs a name of 1 to {max} characters"),
            LastAdmin => f.write_str("at least one active administrator must remain"),
            IdTwice { id } => write!(f, "the id `{id}` is used twice"),
            UsernameTwice { username } => write!(f, "the username `{username}` is used twice"),
            NotAnArgonHash => {
                f.write_str("not an Argon2 hash; set passwords with `cocolu user reset-password`")
            }
            Other => f.write_str("something is wrong"),
        }
    }
}

impl Fault {
    /// Reads a fault from its JSON (`Other` for a code this build does not know). Written by
    /// hand: serde's derived reader for an internally tagged enum this size is about 150 KB
    /// of machine code, in the server and in the browser alike.
    pub fn from_value(v: &Value) -> Fault {
        match v.get("code").and_then(Value::as_str).unwrap_or_default() {
            "syntax" => Fault::Syntax {
                problem: unit(v, "problem", Syntax::Other),
                detail: text(v, "detail"),
            },
            "unknown_variant" => Fault::UnknownVariant {
                found: text(v, "found"),
                expected: words(v, "expected"),
            },
            "unknown_field" => Fault::UnknownField {
                found: text(v, "found"),
                expected: words(v, "expected"),
            },
            "missing_field" => Fault::MissingField {
                field: text(v, "field"),
            },
            "duplicate_field" => Fault::DuplicateField {
                field: text(v, "field"),
            },
            "wrong_type" => Fault::WrongType {
                found: unit(v, "found", JsonKind::Other),
                expected: unit(v, "expected", JsonKind::Other),
            },
            "invalid_value" => Fault::InvalidValue {
                detail: text(v, "detail"),
            },
            "newer_format" => Fault::NewerFormat {
                found: count(v, "found") as u32,
                known: count(v, "known") as u32,
            },
            "cannot_migrate" => Fault::CannotMigrate {
                detail: text(v, "detail"),
            },
            "file_deleted" => Fault::FileDeleted,
            "unreadable" => Fault::Unreadable {
                detail: text(v, "detail"),
            },
            "template_name" => Fault::TemplateName,
            "corrupt_record" => Fault::CorruptRecord {
                detail: text(v, "detail"),
            },
            "incomplete_segment" => Fault::IncompleteSegment {
                bytes: count(v, "bytes") as u64,
            },
            "not_a_rule_id" => Fault::NotARuleId { id: text(v, "id") },
            "no_trigger" => Fault::NoTrigger,
            "bad_pattern" => Fault::BadPattern {
                detail: text(v, "detail"),
            },
            "never_matches" => Fault::NeverMatches,
            "not_a_message_type" => Fault::NotAMessageType {
                kind: text(v, "kind"),
            },
            "no_effect" => Fault::NoEffect,
            "not_a_field_name" => Fault::NotAFieldName {
                name: text(v, "name"),
            },
            "no_capture_time" => Fault::NoCaptureTime,
            "no_such_template" => Fault::NoSuchTemplate {
                name: text(v, "name"),
            },
            "template_or_text" => Fault::TemplateOrText,
            "too_many_rules" => Fault::TooManyRules {
                found: count(v, "found"),
                max: count(v, "max"),
            },
            "too_many_texts" => Fault::TooManyTexts {
                max: count(v, "max"),
            },
            "text_too_long" => Fault::TextTooLong {
                max_bytes: count(v, "max_bytes"),
            },
            "patterns_too_long" => Fault::PatternsTooLong {
                found_kib: count(v, "found_kib"),
                max_kib: count(v, "max_kib"),
            },
            "patterns_too_complex" => Fault::PatternsTooComplex {
                max_mib: count(v, "max_mib"),
            },
            "rule_id_taken" => Fault::RuleIdTaken { id: text(v, "id") },
            "option_unanswered" => Fault::OptionUnanswered { id: text(v, "id") },
            "empty" => Fault::Empty {
                what: Part::from_value(v.get("what").unwrap_or(&Value::Null)),
            },
            "too_long" => Fault::TooLong {
                what: Part::from_value(v.get("what").unwrap_or(&Value::Null)),
                chars: count(v, "chars"),
                max: count(v, "max"),
            },
            "button_count" => Fault::ButtonCount {
                found: count(v, "found"),
                max: count(v, "max"),
            },
            "section_count" => Fault::SectionCount {
                found: count(v, "found"),
                max: count(v, "max"),
            },
            "row_count" => Fault::RowCount {
                found: count(v, "found"),
                max: count(v, "max"),
            },
            "section_needs_title" => Fault::SectionNeedsTitle {
                section: count(v, "section"),
            },
            "template_incomplete" => Fault::TemplateIncomplete,
            "not_a_media_type" => Fault::NotAMediaType {
                kind: text(v, "kind"),
            },
            "no_media_source" => Fault::NoMediaSource,
            "never_closed" => Fault::NeverClosed {
                open: text(v, "open"),
                close: text(v, "close"),
            },
            "not_a_variable" => Fault::NotAVariable {
                name: text(v, "name"),
            },
            "empty_blank" => Fault::EmptyBlank,
            "no_business_name" => Fault::NoBusinessName,
            "unknown_time_zone" => Fault::UnknownTimeZone {
                zone: text(v, "zone"),
            },
            "no_whatsapp_web" => Fault::NoWhatsappWeb,
            "not_a_meta_id" => Fault::NotAMetaId,
            "bad_secret" => Fault::BadSecret,
            "set_by_server" => Fault::SetByServer,
            "not_attachable" => Fault::NotAttachable {
                mime_type: text(v, "mime_type"),
            },
            "attachment_too_big" => Fault::AttachmentTooBig {
                max_mb: count(v, "max_mb"),
            },
            "empty_file" => Fault::EmptyFile,
            "not_like_its_type" => Fault::NotLikeItsType {
                mime_type: text(v, "mime_type"),
            },
            "no_such_upload" => Fault::NoSuchUpload,
            "attachment_needs_meta" => Fault::AttachmentNeedsMeta,
            "not_a_shortcut" => Fault::NotAShortcut,
            "shortcut_twice" => Fault::ShortcutTwice {
                shortcut: text(v, "shortcut"),
            },
            "too_many_quick_replies" => Fault::TooManyQuickReplies {
                max: count(v, "max"),
            },
            "not_a_range" => Fault::NotARange {
                range: text(v, "range"),
            },
            "not_a_date" => Fault::NotADate {
                date: text(v, "date"),
            },
            "not_a_phone_number" => Fault::NotAPhoneNumber {
                phone: text(v, "phone"),
            },
            "label_length" => Fault::LabelLength {
                max: count(v, "max"),
            },
            "labels_at_once" => Fault::LabelsAtOnce {
                max: count(v, "max"),
            },
            "too_many_labels" => Fault::TooManyLabels {
                max: count(v, "max"),
            },
            "notes_too_long" => Fault::NotesTooLong {
                max: count(v, "max"),
            },
            "username_length" => Fault::UsernameLength {
                max: count(v, "max"),
            },
            "username_characters" => Fault::UsernameCharacters,
            "password_too_short" => Fault::PasswordTooShort {
                min: count(v, "min"),
            },
            "password_too_long" => Fault::PasswordTooLong {
                max: count(v, "max"),
            },
            "password_is_username" => Fault::PasswordIsUsername,
            "credentials_too_long" => Fault::CredentialsTooLong {
                username_max: count(v, "username_max"),
                password_max: count(v, "password_max"),
            },
            "name_too_long" => Fault::NameTooLong {
                max: count(v, "max"),
            },
            "token_name" => Fault::TokenName {
                max: count(v, "max"),
            },
            "last_admin" => Fault::LastAdmin,
            "id_twice" => Fault::IdTwice { id: text(v, "id") },
            "username_twice" => Fault::UsernameTwice {
                username: text(v, "username"),
            },
            "not_an_argon_hash" => Fault::NotAnArgonHash,
            _ => Fault::Other,
        }
    }
}

impl<'de> Deserialize<'de> for Fault {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Fault, D::Error> {
        Ok(Fault::from_value(&Value::deserialize(deserializer)?))
    }
}

impl Part {
    fn from_value(v: &Value) -> Part {
        let (button, section, row) = (count(v, "button"), count(v, "section"), count(v, "row"));
        match v.get("part").and_then(Value::as_str).unwrap_or_default() {
            "message" => Part::Message,
            "header" => Part::Header,
            "footer" => Part::Footer,
            "caption" => Part::Caption,
            "file_name" => Part::FileName,
            "list_button" => Part::ListButton,
            "template" => Part::Template,
            "button_title" => Part::ButtonTitle { button },
            "button_id" => Part::ButtonId { button },
            "section_title" => Part::SectionTitle { section },
            "row_title" => Part::RowTitle { section, row },
            "row_id" => Part::RowId { section, row },
            "row_description" => Part::RowDescription { section, row },
            _ => Part::Text,
        }
    }
}

impl<'de> Deserialize<'de> for Part {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Part, D::Error> {
        Ok(Part::from_value(&Value::deserialize(deserializer)?))
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn count(v: &Value, key: &str) -> usize {
    v.get(key)
        .and_then(Value::as_u64)
        .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX))
}

fn words(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|all| {
            all.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn unit<T: serde::de::DeserializeOwned>(v: &Value, key: &str, unknown: T) -> T {
    v.get(key)
        .and_then(|value| T::deserialize(value).ok())
        .unwrap_or(unknown)
}

/// A fault as it travels inside other answers: the server writes a [`Fault`]; a client keeps
/// its JSON as it came and reads it ([`FaultJson::read`]) only where it words it. Reading
/// every kind of fault is a large piece of code, which a page that only passes faults along
/// (the overview's status, every failed request) should not carry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FaultJson(serde_json::Value);

impl FaultJson {
    /// The fault (`Other` for one this build cannot read).
    pub fn read(&self) -> Fault {
        Fault::from_value(&self.0)
    }
}

impl From<Fault> for FaultJson {
    fn from(fault: Fault) -> FaultJson {
        // A fault is plain data: it always has a JSON form.
        FaultJson(serde_json::to_value(&fault).unwrap_or_default())
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for FaultJson {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        Fault::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        Fault::json_schema(generator)
    }
}

/// Several faults in English, as one sentence.
pub fn sentence(faults: &[Fault]) -> String {
    faults
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a JSON parser said, as a fault: serde's messages have a fixed shape (`unknown variant
/// `x`, expected one of `a`, `b``), so the parts a person needs are read back from them.
pub fn of_json_error(error: &serde_json::Error) -> Fault {
    let text = error.to_string();
    let text = match text.rfind(" at line ") {
        Some(cut) => &text[..cut],
        None => &text[..],
    };
    use serde_json::error::Category;
    match error.classify() {
        Category::Eof => Fault::Syntax {
            problem: Syntax::EndsEarly,
            detail: text.to_string(),
        },
        Category::Syntax | Category::Io => Fault::Syntax {
            problem: syntax_of(text),
            detail: text.to_string(),
        },
        Category::Data => data_fault(text),
    }
}

/// What a web framework's JSON rejection said (`Failed to deserialize the JSON body into the
/// target type: rules[0].when.match: unknown variant ...`), as a fault.
pub fn of_body_text(text: &str) -> Fault {
    let (syntax, rest) = match text.split_once(": ") {
        Some((head, rest)) if head.contains("parse") => (true, rest),
        Some((_, rest)) => (false, rest),
        None => (false, text),
    };
    let rest = match rest.rfind(" at line ") {
        Some(cut) => &rest[..cut],
        None => rest,
    };
    // The path of the value at fault comes first (`rules[0].when.match: `), when there is one.
    let known = |t: &str| {
        [
            "unknown variant",
            "unknown field",
            "missing field",
            "duplicate field",
            "invalid ",
            "EOF",
            "expected",
            "trailing",
            "key must be",
            "control character",
            "lone leading surrogate",
            "number out of range",
            "recursion limit",
        ]
        .iter()
        .any(|p| t.starts_with(p))
    };
    let message = match rest.split_once(": ") {
        Some((_, after)) if !known(rest) && known(after) => after,
        _ => rest,
    };
    if syntax {
        return Fault::Syntax {
            problem: syntax_of(message),
            detail: message.to_string(),
        };
    }
    data_fault(message)
}

fn syntax_of(text: &str) -> Syntax {
    match text {
        "expected value" | "expected ident" => Syntax::ExpectedValue,
        "trailing comma" => Syntax::TrailingComma,
        "trailing characters" => Syntax::TrailingCharacters,
        "expected `:`" => Syntax::ExpectedColon,
        "key must be a string" => Syntax::KeyMustBeText,
        t if t.starts_with("expected `,`") => Syntax::ExpectedComma,
        t if t.starts_with("EOF") => Syntax::EndsEarly,
        _ => Syntax::Other,
    }
}

/// The words between backticks in `text`, in order.
fn ticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn data_fault(text: &str) -> Fault {
    let words = ticked(text);
    let first = words.first().cloned().unwrap_or_default();
    let rest = words.get(1..).unwrap_or_default().to_vec();
    if text.starts_with("unknown variant") {
        Fault::UnknownVariant {
            found: first,
            expected: rest,
        }
    } else if text.starts_with("unknown field") {
        Fault::UnknownField {
            found: first,
            expected: rest,
        }
    } else if text.starts_with("missing field") {
        Fault::MissingField { field: first }
    } else if text.starts_with("duplicate field") {
        Fault::DuplicateField { field: first }
    } else if let Some(rest) = text.strip_prefix("invalid type: ") {
        // What was found may quote the sender's text; what was expected is serde's own words.
        let (found, expected) = rest.rsplit_once(", expected ").unwrap_or((rest, ""));
        Fault::WrongType {
            found: kind_of(found),
            expected: kind_of(expected),
        }
    } else {
        Fault::InvalidValue {
            detail: text.to_string(),
        }
    }
}

/// A JSON kind from serde's description of a value or of what it expected.
fn kind_of(description: &str) -> JsonKind {
    let d = description
        .trim_start_matches("a ")
        .trim_start_matches("an ");
    let starts = |words: &[&str]| words.iter().any(|w| d.starts_with(w));
    if starts(&["string", "char", "borrowed str"]) {
        JsonKind::Text
    } else if starts(&[
        "integer", "floating", "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "f32", "f64",
        "usize", "number",
    ]) {
        JsonKind::Number
    } else if starts(&["boolean", "bool"]) {
        JsonKind::Boolean
    } else if starts(&["sequence", "list", "tuple", "array"]) {
        JsonKind::List
    } else if starts(&["map", "struct", "object"]) {
        JsonKind::Object
    } else if starts(&["null", "unit"]) {
        JsonKind::Null
    } else {
        JsonKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        kind: Kind,
        count: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    #[allow(dead_code)]
    enum Kind {
        Contains,
        Regex,
    }

    fn fault(text: &str) -> Fault {
        of_json_error(&serde_json::from_str::<Doc>(text).expect_err("refused"))
    }

    #[test]
    fn serde_s_messages_become_codes_with_their_parts() {
        assert_eq!(
            fault(r#"{"kind": "contiene", "count": 1}"#),
            Fault::UnknownVariant {
                found: "contiene".into(),
                expected: vec!["contains".into(), "regex".into()]
            }
        );
        assert_eq!(
            fault(r#"{"kind": "regex", "count": "tres"}"#),
            Fault::WrongType {
                found: JsonKind::Text,
                expected: JsonKind::Number
            }
        );
        assert_eq!(
            fault(r#"{"kind": "regex"}"#),
            Fault::MissingField {
                field: "count".into()
            }
        );
        assert!(matches!(
            fault(r#"{"kind": "regex", "count": 1, "extra": 2}"#),
            Fault::UnknownField { found, .. } if found == "extra"
        ));
        assert!(matches!(
            fault(r#"{"kind": "regex", "count": 1,}"#),
            Fault::Syntax {
                problem: Syntax::TrailingComma,
                ..
            }
        ));
        assert!(matches!(
            fault(r#"{"kind": "regex", "#),
            Fault::Syntax {
                problem: Syntax::EndsEarly,
                ..
            }
        ));
        assert!(matches!(
            fault(r#"{"kind": , "count": 1}"#),
            Fault::Syntax {
                problem: Syntax::ExpectedValue,
                ..
            }
        ));
    }

    #[test]
    fn a_rejected_body_s_words_become_a_code() {
        assert_eq!(
            of_body_text(
                "Failed to deserialize the JSON body into the target type: rules[0].when.match: \
                 unknown variant `contiene`, expected `contains` or `regex` at line 1 column 40"
            ),
            Fault::UnknownVariant {
                found: "contiene".into(),
                expected: vec!["contains".into(), "regex".into()]
            }
        );
        assert_eq!(
            of_body_text(
                "Failed to deserialize the JSON body into the target type: missing field `message` at line 1 column 2"
            ),
            Fault::MissingField {
                field: "message".into()
            }
        );
        assert!(matches!(
            of_body_text(
                "Failed to parse the request body as JSON: trailing comma at line 1 column 9"
            ),
            Fault::Syntax {
                problem: Syntax::TrailingComma,
                ..
            }
        ));
        assert!(matches!(
            of_body_text("Failed to parse the request body as JSON: revision: EOF while parsing a value at line 1 column 13"),
            Fault::Syntax { problem: Syntax::EndsEarly, .. }
        ));
        assert!(matches!(of_body_text(""), Fault::InvalidValue { .. }));
    }

    proptest::proptest! {
        /// Whatever a parser said (the value's own text is quoted in it), reading it back
        /// gives a fault and never panics.
        #[test]
        fn any_text_reads_as_some_fault(text in ".{0,200}") {
            let _ = of_body_text(&text);
            let _ = data_fault(&text);
            let _ = of_body_text(&format!("Failed to deserialize the JSON body into the target type: {text}"));
        }
    }

    #[test]
    fn every_fault_reads_back_as_written() {
        let all = [
            Fault::Syntax {
                problem: Syntax::TrailingComma,
                detail: "x\"`y".into(),
            },
            Fault::UnknownVariant {
                found: "x\"`y".into(),
                expected: vec!["a".into(), "b".into()],
            },
            Fault::UnknownField {
                found: "x\"`y".into(),
                expected: vec!["a".into(), "b".into()],
            },
            Fault::MissingField {
                field: "x\"`y".into(),
            },
            Fault::DuplicateField {
                field: "x\"`y".into(),
            },
            Fault::WrongType {
                found: JsonKind::List,
                expected: JsonKind::List,
            },
            Fault::InvalidValue {
                detail: "x\"`y".into(),
            },
            Fault::NewerFormat { found: 3, known: 3 },
            Fault::CannotMigrate {
                detail: "x\"`y".into(),
            },
            Fault::FileDeleted,
            Fault::Unreadable {
                detail: "x\"`y".into(),
            },
            Fault::TemplateName,
            Fault::CorruptRecord {
                detail: "x\"`y".into(),
            },
            Fault::IncompleteSegment { bytes: 9 },
            Fault::NotARuleId { id: "x\"`y".into() },
            Fault::NoTrigger,
            Fault::BadPattern {
                detail: "x\"`y".into(),
            },
            Fault::NeverMatches,
            Fault::NotAMessageType {
                kind: "x\"`y".into(),
            },
            Fault::NoEffect,
            Fault::NotAFieldName {
                name: "x\"`y".into(),
            },
            Fault::NoCaptureTime,
            Fault::NoSuchTemplate {
                name: "x\"`y".into(),
            },
            Fault::TemplateOrText,
            Fault::TooManyRules { found: 7, max: 7 },
            Fault::TooManyTexts { max: 7 },
            Fault::TextTooLong { max_bytes: 7 },
            Fault::PatternsTooLong {
                found_kib: 7,
                max_kib: 7,
            },
            Fault::PatternsTooComplex { max_mib: 7 },
            Fault::RuleIdTaken { id: "x\"`y".into() },
            Fault::OptionUnanswered { id: "x\"`y".into() },
            Fault::Empty {
                what: Part::RowId { section: 2, row: 4 },
            },
            Fault::TooLong {
                what: Part::RowId { section: 2, row: 4 },
                chars: 7,
                max: 7,
            },
            Fault::ButtonCount { found: 7, max: 7 },
            Fault::SectionCount { found: 7, max: 7 },
            Fault::RowCount { found: 7, max: 7 },
            Fault::SectionNeedsTitle { section: 7 },
            Fault::TemplateIncomplete,
            Fault::NotAMediaType {
                kind: "x\"`y".into(),
            },
            Fault::NoMediaSource,
            Fault::NeverClosed {
                open: "x\"`y".into(),
                close: "x\"`y".into(),
            },
            Fault::NotAVariable {
                name: "x\"`y".into(),
            },
            Fault::EmptyBlank,
            Fault::NoBusinessName,
            Fault::UnknownTimeZone {
                zone: "x\"`y".into(),
            },
            Fault::NoWhatsappWeb,
            Fault::NotAMetaId,
            Fault::BadSecret,
            Fault::SetByServer,
            Fault::NotAttachable {
                mime_type: "x\"`y".into(),
            },
            Fault::AttachmentTooBig { max_mb: 7 },
            Fault::EmptyFile,
            Fault::NotLikeItsType {
                mime_type: "x\"`y".into(),
            },
            Fault::NoSuchUpload,
            Fault::AttachmentNeedsMeta,
            Fault::NotAShortcut,
            Fault::ShortcutTwice {
                shortcut: "x\"`y".into(),
            },
            Fault::TooManyQuickReplies { max: 7 },
            Fault::NotARange {
                range: "x\"`y".into(),
            },
            Fault::NotADate {
                date: "x\"`y".into(),
            },
            Fault::NotAPhoneNumber {
                phone: "x\"`y".into(),
            },
            Fault::LabelLength { max: 7 },
            Fault::LabelsAtOnce { max: 7 },
            Fault::TooManyLabels { max: 7 },
            Fault::NotesTooLong { max: 7 },
            Fault::UsernameLength { max: 7 },
            Fault::UsernameCharacters,
            Fault::PasswordTooShort { min: 7 },
            Fault::PasswordTooLong { max: 7 },
            Fault::PasswordIsUsername,
            Fault::CredentialsTooLong {
                username_max: 7,
                password_max: 7,
            },
            Fault::NameTooLong { max: 7 },
            Fault::TokenName { max: 7 },
            Fault::LastAdmin,
            Fault::IdTwice { id: "x\"`y".into() },
            Fault::UsernameTwice {
                username: "x\"`y".into(),
            },
            Fault::NotAnArgonHash,
        ];
        for fault in all {
            let json = serde_json::to_value(&fault).expect("json");
            assert_eq!(Fault::from_value(&json), fault, "{json}");
        }
    }

    #[test]
    fn a_fault_travels_as_a_code_and_an_unknown_code_is_other() {
        let fault = Fault::TooLong {
            what: Part::ButtonTitle { button: 2 },
            chars: 30,
            max: 20,
        };
        let json = serde_json::to_value(&fault).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"code": "too_long", "what": {"part": "button_title", "button": 2}, "chars": 30, "max": 20})
        );
        assert_eq!(serde_json::from_value::<Fault>(json).expect("back"), fault);
        assert_eq!(
            serde_json::from_str::<Fault>(r#"{"code": "from_the_future", "x": 1}"#).expect("read"),
            Fault::Other
        );
        assert_eq!(
            fault.to_string(),
            "button 2 title has 30 characters; WhatsApp allows 20"
        );
        let carried = FaultJson::from(fault.clone());
        let text = serde_json::to_string(&carried).expect("json");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).expect("json")["code"],
            "too_long"
        );
        let back: FaultJson = serde_json::from_str(&text).expect("read");
        assert_eq!(back.read(), fault);
    }
}
