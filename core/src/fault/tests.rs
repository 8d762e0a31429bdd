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
        of_body_text("Failed to parse the request body as JSON: trailing comma at line 1 column 9"),
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
        let _ = parser::data_fault(&text);
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
