//! Reply templates: the texts the bot sends, with WhatsApp formatting (`*bold*`, `_italic_`)
//! and variables such as `{{nombre}}`. Built-in templates ship inside the binary; a file
//! `NAME.txt` in the templates folder overrides the built-in `NAME` or adds a new one.

/// WhatsApp's limit for one text message.
pub const MAX_CHARS: usize = 4096;

/// The templates built into the binary, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("agente", include_str!("builtin/agente.txt")),
    ("alta", include_str!("builtin/alta.txt")),
    ("baja", include_str!("builtin/baja.txt")),
    ("bienvenida", include_str!("builtin/bienvenida.txt")),
    ("catalogo", include_str!("builtin/catalogo.txt")),
    (
        "fuera_de_horario",
        include_str!("builtin/fuera_de_horario.txt"),
    ),
    ("horario", include_str!("builtin/horario.txt")),
    ("menu", include_str!("builtin/menu.txt")),
    ("no_entendi", include_str!("builtin/no_entendi.txt")),
    ("precios", include_str!("builtin/precios.txt")),
    ("solo_texto", include_str!("builtin/solo_texto.txt")),
];

/// Whether `name` can name a template (and so a file `NAME.txt`).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Checks a template's text; each problem is a byte offset and a message.
pub fn check(text: &str) -> Vec<(usize, String)> {
    let mut problems = Vec::new();
    if text.trim().is_empty() {
        problems.push((0, "the template is empty".to_string()));
    }
    let chars = text.trim_end().chars().count();
    if chars > MAX_CHARS {
        problems.push((
            0,
            format!("the template has {chars} characters; WhatsApp allows {MAX_CHARS}"),
        ));
    }
    let mut rest = 0;
    while let Some(found) = text[rest..].find("{{") {
        let open = rest + found;
        let Some(len) = text[open + 2..].find("}}") else {
            problems.push((open, "`{{` is never closed with `}}`".to_string()));
            break;
        };
        let name = text[open + 2..open + 2 + len].trim();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            problems.push((
                open,
                format!("`{{{{{name}}}}}` is not a variable name (lowercase letters, digits, _)"),
            ));
        }
        rest = open + 2 + len + 2;
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_template_is_valid() {
        for (name, text) in BUILTIN {
            assert!(valid_name(name), "{name}");
            assert!(check(text).is_empty(), "{name}: {:?}", check(text));
        }
    }

    #[test]
    fn an_unclosed_variable_is_located() {
        let problems = check("Hola {{nombre, bienvenido");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, 5);
    }

    #[test]
    fn a_malformed_variable_name_is_reported() {
        let problems = check("Hola {{Nombre Completo}}");
        assert!(problems[0].1.contains("Nombre Completo"), "{:?}", problems);
    }

    #[test]
    fn empty_and_overlong_templates_are_refused() {
        assert!(!check("  \n").is_empty());
        assert!(!check(&"a".repeat(MAX_CHARS + 1)).is_empty());
        assert!(check(&"a".repeat(MAX_CHARS)).is_empty());
    }

    #[test]
    fn names_are_lowercase_words() {
        assert!(valid_name("precios_2"));
        assert!(!valid_name("Precios"));
        assert!(!valid_name("../x"));
        assert!(!valid_name(""));
    }
}
