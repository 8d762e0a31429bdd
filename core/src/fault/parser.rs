//! What serde and the web framework say about a document that does not read, turned into
//! faults with their parts (the field, the variant, what was expected).

use super::{Fault, JsonKind, Syntax};

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

pub(super) fn data_fault(text: &str) -> Fault {
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
