//! The variables a text can use (`{{nombre}}`, `{{negocio}}`, the hours, what a capture step
//! asked for), offered as buttons named in words that put the variable where the cursor is,
//! and a text as a customer would read it, its variables filled with examples.

use crate::components::browser::insert_at_caret;
use crate::i18n::{use_i18n, Lang};
use cocolu_core::api::templates::{Variable, VariableSource};
use leptos::prelude::*;

crate::i18n::page_texts!(VariableSaid {
    Insert => ("Insertar:", "Insert:"),
    Name => ("Nombre del cliente", "Customer's name"),
    Business => ("Nombre del negocio", "Business name"),
    Today => ("Horario de hoy", "Today's hours"),
    Day => ("Horario del día que pregunta", "Hours of the day asked about"),
    Week => ("Horario de la semana", "This week's hours"),
    Answer => ("Respuesta del cliente:", "Customer's answer:"),
    Reads => ("Así lo leerá el cliente:", "As the customer will read it:"),
    Unknown => (
        "no es una variable que Cocolu conozca (¿un error al escribirla?): al enviar quedará vacía.",
        "is not a variable Cocolu knows (a typo?): it will be empty when sent.",
    ),
});

/// A variable in words: `Nombre del cliente` for `{{nombre}}`, the field's name for what a
/// capture step asked.
fn label(variable: &Variable, lang: Lang) -> String {
    use crate::i18n::Said;
    let known = match variable.name.as_str() {
        "nombre" => Some(VariableSaid::Name),
        "negocio" => Some(VariableSaid::Business),
        "horario_hoy" => Some(VariableSaid::Today),
        "horario_del_dia" => Some(VariableSaid::Day),
        "horario_semana" => Some(VariableSaid::Week),
        _ => None,
    };
    match (known, variable.source) {
        (Some(said), _) => said.get(lang).to_string(),
        (None, VariableSource::Captured) => format!(
            "{} {}",
            VariableSaid::Answer.get(lang),
            variable.name.replace('_', " ")
        ),
        (None, _) => variable.name.clone(),
    }
}

/// `text` with its variables filled with the examples (a value only a customer can give,
/// such as a captured field, shows as `[name]`).
pub fn filled(text: &str, variables: &[Variable]) -> String {
    filled_or(text, variables, |name| format!("[{name}]"))
}

/// `text` with its variables filled with the examples, and a variable without one shown as
/// `unknown` says.
pub fn filled_or(text: &str, variables: &[Variable], unknown: fn(&str) -> String) -> String {
    let values: Vec<(&str, String)> = variables
        .iter()
        .map(|v| {
            let example = if v.example.is_empty() {
                unknown(&v.name)
            } else {
                v.example.clone()
            };
            (v.name.as_str(), example)
        })
        .collect();
    let pairs: Vec<(&str, &str)> = values.iter().map(|(n, v)| (*n, v.as_str())).collect();
    cocolu_core::format::render(text, &pairs)
}

/// A button per variable that puts it into the text box `target` where the cursor is;
/// `changed` gets the box's new text.
#[component]
pub fn VariableButtons(
    variables: StoredValue<Vec<Variable>>,
    /// The text box's element id.
    target: String,
    changed: Callback<String>,
    #[prop(optional)] disabled: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let lang = i18n.0;
    view! {
        <div class="variables" role="group" aria-label=i18n.t(VariableSaid::Insert)>
            <span class="field-hint">{i18n.t(VariableSaid::Insert)}</span>
            {variables.get_value().into_iter().map(|variable| {
                let token = format!("{{{{{}}}}}", variable.name);
                let title = if variable.example.is_empty() {
                    token.clone()
                } else {
                    format!("{token} · {}", variable.example)
                };
                let target = target.clone();
                let shown = variable.clone();
                view! {
                    <button type="button" class="chip-button" title=title disabled=disabled
                        data-variable=variable.name.clone()
                        // Keeps the cursor (and a phone's keyboard) in the text box.
                        on:pointerdown=|ev| ev.prevent_default()
                        on:click=move |_| {
                            if let Some(text) = insert_at_caret(&target, &token) {
                                changed.run(text);
                            }
                        }>
                        {move || label(&shown, lang.get())}
                    </button>
                }
            }).collect_view()}
        </div>
    }
}

/// The variables `text` uses that none of `variables` is (a typo such as `{{nombr}}`), once
/// each.
pub fn unknown(text: &str, variables: &[Variable]) -> Vec<String> {
    let mut found: Vec<String> = cocolu_core::format::variables_in(text)
        .into_iter()
        .filter(|name| !variables.iter().any(|v| v.name == *name))
        .collect();
    found.dedup();
    found
}

/// A warning for each variable `text` uses that Cocolu does not know.
#[component]
pub fn UnknownVariables(
    variables: StoredValue<Vec<Variable>>,
    #[prop(into)] text: Signal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let names = variables.with_value(|v| unknown(&text.get(), v));
        (!names.is_empty()).then(|| {
            view! {
                <ul class="problems unknown-variables" role="status">
                    {names.into_iter().map(|name| view! {
                        <li><strong>{format!("{{{{{name}}}}}")}</strong> " " {i18n.t(VariableSaid::Unknown)}</li>
                    }).collect_view()}
                </ul>
            }
        })
    }
}

/// The text as a customer reads it, WhatsApp's formatting and the examples included.
#[component]
pub fn AsRead(
    variables: StoredValue<Vec<Variable>>,
    #[prop(into)] text: Signal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="as-read">
            <span class="field-hint">{i18n.t(VariableSaid::Reads)}</span>
            <blockquote class="template-preview">
                {move || {
                    let shown = variables.with_value(|v| filled(&text.get(), v));
                    view! { <crate::whatsapp::Formatted text=shown /> }
                }}
            </blockquote>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variable(name: &str, example: &str, source: VariableSource) -> Variable {
        Variable {
            name: name.into(),
            example: example.into(),
            source,
        }
    }

    #[test]
    fn variables_are_named_in_words_and_filled_with_examples() {
        let nombre = variable("nombre", "María", VariableSource::Customer);
        let pedido = variable("numero_pedido", "", VariableSource::Captured);
        assert_eq!(label(&nombre, Lang::Es), "Nombre del cliente");
        assert_eq!(label(&nombre, Lang::En), "Customer's name");
        assert_eq!(
            label(&pedido, Lang::Es),
            "Respuesta del cliente: numero pedido"
        );
        let known = [nombre, pedido];
        assert_eq!(
            filled("Hola {{nombre}}, tu pedido {{numero_pedido}}", &known),
            "Hola María, tu pedido [numero_pedido]"
        );
        assert_eq!(
            unknown("{{nombr}} {{nombre}} {{nombr}}", &known),
            vec!["nombr".to_string()]
        );
    }
}
