//! How the engine compares what a customer wrote with what a rule expects: case, accents,
//! surrounding punctuation and emoji do not matter ("PRECIO", "precio?", "précio" and
//! "¿Precio? 😀" all read as "precio").

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

pub use crate::model::MatchKind;

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

/// Normalized `message` without the places where normalized `pattern` matches it (as
/// [`matches`] finds them; nothing for [`MatchKind::Regex`]), spaces tidied: what a message
/// says besides a greeting.
pub fn without_matches(kind: MatchKind, message: &str, pattern: &str) -> String {
    if pattern.is_empty() || !matches(kind, message, pattern) {
        return message.to_string();
    }
    let kept = match kind {
        MatchKind::Exact => String::new(),
        MatchKind::Contains => message.replace(pattern, " "),
        MatchKind::StartsWith => message[pattern.len()..].to_string(),
        MatchKind::Word => {
            let mut kept = String::with_capacity(message.len());
            let mut from = 0;
            for (at, _) in message.match_indices(pattern) {
                let whole = (at == 0 || message.as_bytes()[at - 1] == b' ')
                    && word_boundary(message, at + pattern.len());
                if whole && at >= from {
                    kept.push_str(&message[from..at]);
                    kept.push(' ');
                    from = at + pattern.len();
                }
            }
            kept.push_str(&message[from..]);
            kept
        }
        MatchKind::Regex => message.to_string(),
    };
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
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
    fn what_a_message_says_besides_a_text_is_left_over() {
        let table = [
            (MatchKind::Word, "hola soy ana", "hola", "soy ana"),
            (MatchKind::Word, "hola hola que tal", "hola", "que tal"),
            (MatchKind::Word, "holanda", "hola", "holanda"),
            (MatchKind::Word, "buenas tardes", "buenas tardes", ""),
            (MatchKind::Contains, "holaaa amigos", "hola", "aa amigos"),
            (MatchKind::StartsWith, "hola que tal", "hola", "que tal"),
            (MatchKind::Exact, "hola", "hola", ""),
            (MatchKind::Exact, "hola ana", "hola", "hola ana"),
            (MatchKind::Regex, "hola", "hola", "hola"),
        ];
        for (kind, message, pattern, left) in table {
            assert_eq!(
                without_matches(kind, message, pattern),
                left,
                "{kind:?} {message:?} {pattern:?}"
            );
        }
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
