//! The bot's texts (`templates/NAME.txt`) as the owner reads their names: "Bienvenida" for
//! `bienvenida`, "Pasar a una persona" for `agente`. A text the shop made is called by its
//! file's name.

use crate::i18n::Lang;

/// The built-in texts' titles, in Spanish and English.
const TITLES: [(&str, &str, &str); 11] = [
    ("agente", "Pasar a una persona", "Hand over to a person"),
    (
        "alta",
        "Alta: vuelve a recibir mensajes",
        "Opt-in: messages again",
    ),
    (
        "baja",
        "Baja: no recibir más mensajes",
        "Opt-out: no more messages",
    ),
    ("bienvenida", "Bienvenida", "Welcome"),
    ("catalogo", "Catálogo", "Catalogue"),
    ("fuera_de_horario", "Fuera de horario", "Outside hours"),
    ("horario", "Horario", "Opening hours"),
    ("menu", "Menú", "Menu"),
    ("no_entendi", "No entendí", "Did not understand"),
    ("precios", "Precios", "Prices"),
    (
        "solo_texto",
        "Solo leo texto (audios, fotos)",
        "Text only (voice notes, photos)",
    ),
];

/// How the owner reads the text `name`: its title, or the name itself.
pub fn text_title(name: &str, lang: Lang) -> String {
    TITLES
        .iter()
        .find(|(known, _, _)| *known == name)
        .map(|(_, es, en)| match lang {
            Lang::Es => *es,
            Lang::En => *en,
        })
        .unwrap_or(name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_texts_have_titles_and_others_their_names() {
        assert_eq!(text_title("agente", Lang::Es), "Pasar a una persona");
        assert_eq!(text_title("no_entendi", Lang::En), "Did not understand");
        assert_eq!(text_title("promo_verano", Lang::Es), "promo_verano");
        for (name, _) in cocolu_core::templates::BUILTIN {
            assert_ne!(text_title(name, Lang::Es), *name, "{name} has a title");
        }
    }
}
