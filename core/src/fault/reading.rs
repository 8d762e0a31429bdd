//! Faults read back from their JSON, by hand (see [`Fault::from_value`]), and [`FaultJson`],
//! a fault carried as it came until a client words it.

use super::{Fault, JsonKind, Part, Syntax};
use serde::{Deserialize, Serialize};
use serde_json::Value;

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
