//! Reply templates: the texts the bot sends, with WhatsApp formatting (`*bold*`, `_italic_`)
//! and variables such as `{{nombre}}`. Built-in templates ship inside the binary; a file
//! `NAME.txt` in the templates folder overrides the built-in `NAME` or adds a new one.

pub use crate::format::MAX_CHARS;

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

pub use crate::format::{check, fill_ins, valid_name};

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
    fn only_the_prices_and_the_catalogue_ship_with_fill_ins() {
        for (name, text) in BUILTIN {
            let marks = fill_ins(text);
            match *name {
                "precios" => assert_eq!(marks, vec!["tus productos y precios, uno por línea"]),
                "catalogo" => assert_eq!(marks, vec!["el enlace de tu catálogo"]),
                _ => assert!(marks.is_empty(), "{name}: {marks:?}"),
            }
            assert!(!text.contains("templates/"), "{name} speaks of files");
        }
    }

    #[test]
    fn an_unclosed_fill_in_is_located() {
        let problems = check("Precios:\n[[tu lista");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, 9);
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
        assert!(
            problems[0].1.to_string().contains("Nombre Completo"),
            "{:?}",
            problems
        );
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
