//! How the engine compares what a customer wrote with what a rule expects: case, accents,
//! surrounding punctuation and emoji do not matter ("PRECIO", "precio?", "précio" and
//! "¿Precio? 😀" all read as "precio").

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

pub use app::model::MatchKind;

/// Lowercase, without accents, with every run of punctuation, symbols, emoji and spaces
/// turned into one space, trimmed.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// Whether normalized `message` matches normalized `pattern` (not for [`MatchKind::Regex`]).
pub fn matches(kind: MatchKind, message: &str, pattern: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    match kind {
        MatchKind::Exact => message == pattern,
        MatchKind::Contains => message.contains(pattern),
        MatchKind::StartsWith => {
            message.starts_with(pattern) && word_boundary(message, pattern.len())
        }
        MatchKind::Word => message.match_indices(pattern).any(|(at, _)| {
            (at == 0 || message.as_bytes()[at - 1] == b' ')
                && word_boundary(message, at + pattern.len())
        }),
        MatchKind::Regex => false,
    }
}

fn word_boundary(message: &str, at: usize) -> bool {
    message[at..].is_empty() || message[at..].starts_with(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_accents_punctuation_and_emoji_do_not_matter() {
        for written in [
            "PRECIO",
            "precio?",
            "précio",
            "¿Precio? 😀",
            "  precio!!! ",
            "Précio…",
        ] {
            assert_eq!(normalize(written), "precio", "{written}");
        }
        assert_eq!(
            normalize("¿Cuánto cuesta el envío a Mérida?"),
            "cuanto cuesta el envio a merida"
        );
        assert_eq!(normalize("niño, ÑANDÚ"), "nino nandu");
        assert_eq!(normalize("pedido #1234"), "pedido 1234");
        assert_eq!(normalize("😀👍"), "");
    }

    #[test]
    fn the_match_kinds_compare_as_documented() {
        let table = [
            (MatchKind::Exact, "hola", "hola", true),
            (MatchKind::Exact, "hola buenas", "hola", false),
            (MatchKind::Contains, "cual es el precio", "precio", true),
            (MatchKind::Contains, "precios", "precio", true),
            (MatchKind::Word, "hola buenas", "hola", true),
            (MatchKind::Word, "holanda", "hola", false),
            (
                MatchKind::Word,
                "me dice el horario de hoy",
                "horario de hoy",
                true,
            ),
            (MatchKind::StartsWith, "menu por favor", "menu", true),
            (MatchKind::StartsWith, "menudo dia", "menu", false),
            (MatchKind::Contains, "algo", "", false),
        ];
        for (kind, message, pattern, expected) in table {
            assert_eq!(
                matches(kind, message, pattern),
                expected,
                "{kind:?} {message:?} {pattern:?}"
            );
        }
    }
}
