//! The replies of a rule (or of its capture step): each a template, a text, reply buttons or
//! a list menu, with their fields.

use super::*;
use cocolu_core::outbound::limits;

crate::i18n::page_texts!(RepliesSaid {
    RemoveReply => ("Quitar esta respuesta", "Remove this reply"),
    AddReply => ("Añadir una respuesta:", "Add a reply:"),
    TemplateSays => ("Lo que envía:", "What it sends:"),
    ButtonsTitle => ("Botones (hasta 3)", "Buttons (up to 3)"),
    RemoveButton => ("Quitar el botón", "Remove the button"),
    AddButton => ("Añadir un botón", "Add a button"),
    RemoveRow => ("Quitar la fila", "Remove the row"),
    AddRow => ("Añadir una fila", "Add a row"),
    AddSection => ("Añadir una sección", "Add a section"),
    ReplyText => ("Texto", "Text"),
    ReplyTemplate => ("Texto guardado", "Saved text"),
    ReplyButtons => ("Botones", "Buttons"),
    ReplyList => ("Lista", "List"),
    ReplyKind => ("Tipo de respuesta", "Kind of reply"),
    BodySource => ("El mensaje es", "The message is"),
    MessageText => ("Texto del mensaje", "Message text"),
    VariablesHint => ("Puedes usar {{nombre}}, {{negocio}}, {{horario_hoy}}, {{horario_del_dia}} (el horario del día que pregunta el cliente) y {{horario_semana}}; *negrita*, _cursiva_, ~tachado~.", "You can use {{nombre}}, {{negocio}}, {{horario_hoy}}, {{horario_del_dia}} (the hours of the day the customer asks about) and {{horario_semana}}; *bold*, _italic_, ~strikethrough~."),
    Footer => ("Pie (opcional)", "Footer (optional)"),
    ChoiceTitle => ("Título", "Title"),
    ChoiceId => ("Id", "Id"),
    ChoiceIdHint => ("El id de la regla que responde al tocarlo.", "The id of the rule that answers when tapped."),
    ChoiceDescription => ("Descripción (opcional)", "Description (optional)"),
    ListButton => ("Texto del botón que abre la lista", "Label of the button that opens the list"),
    SectionTitle => ("Título de la sección", "Section title"),
});

/// One reply of a list.
#[derive(Clone, Copy)]
struct ReplyLens {
    rule: Lens,
    at: Where,
    index: usize,
}

impl ReplyLens {
    fn read<R>(self, f: impl FnOnce(&Reply) -> R) -> Option<R> {
        self.rule
            .read(|rule| {
                self.at
                    .of(rule)
                    .and_then(|list| list.get(self.index))
                    .map(f)
            })
            .flatten()
    }

    fn write(self, f: impl FnOnce(&mut Reply)) {
        self.rule.write(|rule| {
            if let Some(reply) = self.at.of_mut(rule).and_then(|l| l.get_mut(self.index)) {
                f(reply)
            }
        });
    }

    fn pointer(self, rest: &str) -> String {
        self.rule
            .pointer(&format!("{}/{}{rest}", self.at.pointer(), self.index))
    }

    fn id(self, part: &str) -> String {
        format!("{}-{}-{part}", self.at.id(), self.index)
    }
}

fn kind_of(reply: &Reply) -> &'static str {
    match reply {
        Reply::Template(_) => "template",
        Reply::Text(_) => "text",
        Reply::Buttons(_) => "buttons",
        Reply::List(_) => "list",
    }
}

/// The templates' texts, by name, so a reply that sends one shows what it says.
#[derive(Clone, Copy)]
pub struct TemplateTexts(pub StoredValue<Vec<(String, String)>>);

/// What the chosen template says, as the customer will read it (variables still named).
#[component]
fn TemplateSays(id: String, name: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let texts = use_context::<TemplateTexts>();
    move || {
        let name = name.get();
        let text = texts.and_then(|t| {
            t.0.with_value(|all| {
                all.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, text)| text.clone())
            })
        })?;
        Some(view! {
            <div class="template-says" id=id.clone()>
                <span class="field-hint">{i18n.t(RepliesSaid::TemplateSays)}</span>
                <p class="bubble-text"><crate::whatsapp::Formatted text /></p>
            </div>
        })
    }
}

/// An option's id made from its title: lowercase letters without accents and digits, words
/// joined by `_` ("¿Ver precios?" is `ver_precios`).
pub(super) fn id_from_title(title: &str) -> String {
    let mut id = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        let plain = match c {
            'á' | 'à' | 'ä' | 'â' | 'ã' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            c if c.is_ascii_alphanumeric() => c,
            _ => '_',
        };
        if plain != '_' || !id.ends_with('_') {
            id.push(plain);
        }
    }
    id.trim_matches('_').chars().take(64).collect()
}

fn blank_choice(n: usize) -> Choice {
    Choice {
        id: format!("opcion_{n}"),
        title: String::new(),
        description: None,
    }
}

fn new_reply(kind: &str, template: &str) -> Reply {
    match kind {
        "template" => Reply::Template(template.to_string()),
        "buttons" => Reply::Buttons(ButtonsReply {
            template: None,
            text: Some(String::new()),
            footer: None,
            options: vec![blank_choice(1)],
        }),
        "list" => Reply::List(ListReply {
            template: None,
            text: Some(String::new()),
            button: "Ver opciones".into(),
            footer: None,
            sections: vec![Section {
                title: None,
                rows: vec![blank_choice(1)],
            }],
        }),
        _ => Reply::Text(String::new()),
    }
}

#[component]
pub(super) fn ReplyList(
    rule: Lens,
    at: Where,
    templates: StoredValue<Vec<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    // Re-drawn only when replies are added, removed, moved or change kind.
    let kinds = Memo::new(move |_| {
        rule.read(|r| at.of(r).map(|l| l.iter().map(kind_of).collect::<Vec<_>>()))
            .flatten()
            .unwrap_or_default()
    });
    let first_template = move || templates.with_value(|t| t.first().cloned().unwrap_or_default());
    let add = move |kind: &'static str| {
        let template = first_template();
        rule.write(|r| {
            if let Some(list) = at.of_mut(r) {
                list.push(new_reply(kind, &template));
            }
        });
    };
    view! {
        {crate::components::document::field_error(rule.editor, rule.pointer(at.pointer()))}
        <ol class="reply-list">
            {move || {
                let count = kinds.get().len();
                (0..count).map(|index| {
                    let reply = ReplyLens { rule, at, index };
                    let move_by = move |delta: isize| rule.write(|r| {
                        if let Some(list) = at.of_mut(r) {
                            let to = index as isize + delta;
                            if to >= 0 && (to as usize) < list.len() {
                                list.swap(index, to as usize);
                            }
                        }
                    });
                    let remove = move |_| rule.write(|r| {
                        if let Some(list) = at.of_mut(r) {
                            list.remove(index);
                        }
                    });
                    view! {
                        <li class="reply-item">
                            <div class="reply-tools">
                                <span class="reply-number">{format!("{}.", index + 1)}</span>
                                <button type="button" class="icon-button" aria-label=i18n.t(crate::pages::rules::RulesSaid::MoveUp) disabled=index == 0 on:click=move |_| move_by(-1)>"↑"</button>
                                <button type="button" class="icon-button" aria-label=i18n.t(crate::pages::rules::RulesSaid::MoveDown) disabled=index + 1 == count on:click=move |_| move_by(1)>"↓"</button>
                                <button type="button" class="icon-button" aria-label=i18n.t(RepliesSaid::RemoveReply) on:click=remove>"×"</button>
                            </div>
                            <ReplyForm reply templates kind=kinds.get_untracked()[index] />
                        </li>
                    }
                }).collect_view()
            }}
        </ol>
        <div class="add-reply" role="group" aria-label=i18n.t(RepliesSaid::AddReply)>
            <span class="field-hint">{i18n.t(RepliesSaid::AddReply)}</span>
            <button type="button" class="button" id=format!("add-{}-text", at.id()) on:click=move |_| add("text")>{i18n.t(RepliesSaid::ReplyText)}</button>
            <button type="button" class="button" id=format!("add-{}-template", at.id()) on:click=move |_| add("template")>{i18n.t(RepliesSaid::ReplyTemplate)}</button>
            <button type="button" class="button" id=format!("add-{}-buttons", at.id()) on:click=move |_| add("buttons")>{i18n.t(RepliesSaid::ReplyButtons)}</button>
            <button type="button" class="button" id=format!("add-{}-list", at.id()) on:click=move |_| add("list")>{i18n.t(RepliesSaid::ReplyList)}</button>
        </div>
    }
}

/// The message part of buttons and lists: a template or a text.
fn body_fields(reply: ReplyLens, templates: StoredValue<Vec<String>>) -> impl IntoView {
    let editor = reply.rule.editor;
    let parts = move |r: &Reply| match r {
        Reply::Buttons(b) => (b.template.clone(), b.text.clone()),
        Reply::List(l) => (l.template.clone(), l.text.clone()),
        _ => (None, None),
    };
    let set_parts = move |r: &mut Reply, template: Option<String>, text: Option<String>| match r {
        Reply::Buttons(b) => {
            b.template = template;
            b.text = text;
        }
        Reply::List(l) => {
            l.template = template;
            l.text = text;
        }
        _ => {}
    };
    let uses_template = Memo::new(move |_| reply.read(|r| parts(r).0.is_some()).unwrap_or(false));
    let first = move || templates.with_value(|t| t.first().cloned().unwrap_or_default());
    view! {
        {select_input(editor, Field::new(reply.id("source"), RepliesSaid::BodySource, reply.pointer("")),
            vec![("text".into(), RepliesSaid::ReplyText.into()), ("template".into(), RepliesSaid::ReplyTemplate.into())],
            move || if uses_template.get() { "template".into() } else { "text".into() },
            move |v| {
                let template = first();
                reply.write(|r| if v == "template" { set_parts(r, Some(template), None) } else { set_parts(r, None, Some(String::new())) })
            })}
        {move || if uses_template.get() {
            let name = move || reply.read(|r| parts(r).0.unwrap_or_default()).unwrap_or_default();
            view! {
                {name_select(editor, Field::new(reply.id("body-template"), RepliesSaid::ReplyTemplate, reply.pointer("/template")),
                    templates.get_value(),
                    name,
                    move |v| reply.write(|r| set_parts(r, Some(v), None)))}
                <TemplateSays id=reply.id("body-template-says") name=Signal::derive(name) />
            }.into_any()
        } else {
            text_area(editor, Field::new(reply.id("body-text"), RepliesSaid::MessageText, reply.pointer("/text")), 3,
                move || reply.read(|r| parts(r).1.unwrap_or_default()).unwrap_or_default(),
                move |v| reply.write(|r| set_parts(r, None, Some(v)))).into_any()
        }}
    }
}

/// Id and title (and description, for list rows) of one choice.
fn choice_fields(
    reply: ReplyLens,
    id_base: String,
    pointer: String,
    with_description: bool,
    get: impl Fn(&Reply) -> Option<Choice> + Send + Sync + Copy + 'static,
    set: impl Fn(&mut Reply, Choice) + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let editor = reply.rule.editor;
    let read = move || reply.read(get).flatten();
    let update = move |f: &dyn Fn(&mut Choice)| {
        reply.write(|r| {
            if let Some(mut choice) = get(r) {
                f(&mut choice);
                set(r, choice);
            }
        })
    };
    view! {
        <div class="choice-fields">
            {text_input(editor, Field::new(format!("{id_base}-title"), RepliesSaid::ChoiceTitle, format!("{pointer}/title")),
                move || read().map(|c| c.title).unwrap_or_default(),
                move |v| update(&|c| {
                    // An id nobody chose follows the title ("Ver precios": `ver_precios`).
                    let chosen = !(c.id.starts_with("opcion_") || c.id == id_from_title(&c.title));
                    c.title = v.clone();
                    let derived = id_from_title(&v);
                    if !chosen && !derived.is_empty() {
                        c.id = derived;
                    }
                }))}
            {text_input(editor, Field::new(format!("{id_base}-id"), RepliesSaid::ChoiceId, format!("{pointer}/id")).hint(RepliesSaid::ChoiceIdHint),
                move || read().map(|c| c.id).unwrap_or_default(),
                move |v| update(&|c| c.id = v.clone()))}
            {with_description.then(|| text_input(editor, Field::new(format!("{id_base}-description"), RepliesSaid::ChoiceDescription, format!("{pointer}/description")),
                move || read().and_then(|c| c.description).unwrap_or_default(),
                move |v| update(&|c| c.description = Some(v.clone()).filter(|d| !d.is_empty()))))}
        </div>
    }
}

/// The fields of one reply, by its kind.
#[component]
fn ReplyForm(
    reply: ReplyLens,
    templates: StoredValue<Vec<String>>,
    kind: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let editor = reply.rule.editor;
    let kind_select = select_input(
        editor,
        Field::new(reply.id("kind"), RepliesSaid::ReplyKind, reply.pointer("")),
        vec![
            ("text".into(), RepliesSaid::ReplyText.into()),
            ("template".into(), RepliesSaid::ReplyTemplate.into()),
            ("buttons".into(), RepliesSaid::ReplyButtons.into()),
            ("list".into(), RepliesSaid::ReplyList.into()),
        ],
        move || kind.to_string(),
        move |v| {
            let template = templates.with_value(|t| t.first().cloned().unwrap_or_default());
            reply.write(|r| *r = new_reply(&v, &template))
        },
    );
    let body = match kind {
        "template" => {
            let name = move || {
                reply
                    .read(|r| match r {
                        Reply::Template(n) => n.clone(),
                        _ => String::new(),
                    })
                    .unwrap_or_default()
            };
            view! {
                {name_select(
                    editor,
                    Field::new(reply.id("template"), RepliesSaid::ReplyTemplate, reply.pointer("")),
                    templates.get_value(),
                    name,
                    move |v| reply.write(|r| *r = Reply::Template(v)),
                )}
                <TemplateSays id=reply.id("template-says") name=Signal::derive(name) />
            }
            .into_any()
        }
        "text" => text_area(
            editor,
            Field::new(
                reply.id("text"),
                RepliesSaid::MessageText,
                reply.pointer(""),
            )
            .hint(RepliesSaid::VariablesHint),
            3,
            move || {
                reply
                    .read(|r| match r {
                        Reply::Text(t) => t.clone(),
                        _ => String::new(),
                    })
                    .unwrap_or_default()
            },
            move |v| reply.write(|r| *r = Reply::Text(v)),
        )
        .into_any(),
        "buttons" => {
            let count = Memo::new(move |_| {
                reply
                    .read(|r| match r {
                        Reply::Buttons(b) => b.options.len(),
                        _ => 0,
                    })
                    .unwrap_or(0)
            });
            view! {
                {body_fields(reply, templates)}
                {text_input(editor, Field::new(reply.id("footer"), RepliesSaid::Footer, reply.pointer("/footer")),
                    move || reply.read(|r| match r { Reply::Buttons(b) => b.footer.clone().unwrap_or_default(), _ => String::new() }).unwrap_or_default(),
                    move |v| reply.write(|r| if let Reply::Buttons(b) = r { b.footer = Some(v).filter(|f| !f.is_empty()) }))}
                <h5>{i18n.t(RepliesSaid::ButtonsTitle)}</h5>
                {move || (0..count.get()).map(|n| view! {
                    <div class="choice">
                        {choice_fields(reply, reply.id(&format!("option-{n}")), reply.pointer(&format!("/options/{n}")), false,
                            move |r| match r { Reply::Buttons(b) => b.options.get(n).cloned(), _ => None },
                            move |r, c| if let Reply::Buttons(b) = r { if let Some(slot) = b.options.get_mut(n) { *slot = c } })}
                        <button type="button" class="button button-quiet" on:click=move |_| reply.write(|r| if let Reply::Buttons(b) = r { b.options.remove(n); })>
                            {i18n.t(RepliesSaid::RemoveButton)}
                        </button>
                    </div>
                }).collect_view()}
                <button type="button" class="button" id=reply.id("add-option") disabled=move || { count.get() >= limits::BUTTONS }
                    on:click=move |_| reply.write(|r| if let Reply::Buttons(b) = r { let n = b.options.len() + 1; b.options.push(blank_choice(n)) })>
                    {i18n.t(RepliesSaid::AddButton)}
                </button>
            }.into_any()
        }
        _ => {
            let shape = Memo::new(move |_| {
                reply
                    .read(|r| match r {
                        Reply::List(l) => {
                            l.sections.iter().map(|s| s.rows.len()).collect::<Vec<_>>()
                        }
                        _ => Vec::new(),
                    })
                    .unwrap_or_default()
            });
            view! {
                {body_fields(reply, templates)}
                {text_input(editor, Field::new(reply.id("list-button"), RepliesSaid::ListButton, reply.pointer("/button")),
                    move || reply.read(|r| match r { Reply::List(l) => l.button.clone(), _ => String::new() }).unwrap_or_default(),
                    move |v| reply.write(|r| if let Reply::List(l) = r { l.button = v }))}
                {text_input(editor, Field::new(reply.id("list-footer"), RepliesSaid::Footer, reply.pointer("/footer")),
                    move || reply.read(|r| match r { Reply::List(l) => l.footer.clone().unwrap_or_default(), _ => String::new() }).unwrap_or_default(),
                    move |v| reply.write(|r| if let Reply::List(l) = r { l.footer = Some(v).filter(|f| !f.is_empty()) }))}
                {move || shape.get().into_iter().enumerate().map(|(s, rows)| view! {
                    <div class="list-section">
                        {text_input(editor, Field::new(reply.id(&format!("section-{s}-title")), RepliesSaid::SectionTitle, reply.pointer(&format!("/sections/{s}/title"))),
                            move || reply.read(|r| match r { Reply::List(l) => l.sections.get(s).and_then(|x| x.title.clone()).unwrap_or_default(), _ => String::new() }).unwrap_or_default(),
                            move |v| reply.write(|r| if let Reply::List(l) = r { if let Some(x) = l.sections.get_mut(s) { x.title = Some(v).filter(|t| !t.is_empty()) } }))}
                        {(0..rows).map(|n| view! {
                            <div class="choice">
                                {choice_fields(reply, reply.id(&format!("section-{s}-row-{n}")), reply.pointer(&format!("/sections/{s}/rows/{n}")), true,
                                    move |r| match r { Reply::List(l) => l.sections.get(s).and_then(|x| x.rows.get(n)).cloned(), _ => None },
                                    move |r, c| if let Reply::List(l) = r { if let Some(slot) = l.sections.get_mut(s).and_then(|x| x.rows.get_mut(n)) { *slot = c } })}
                                <button type="button" class="button button-quiet" on:click=move |_| reply.write(|r| if let Reply::List(l) = r { if let Some(x) = l.sections.get_mut(s) { x.rows.remove(n); } })>
                                    {i18n.t(RepliesSaid::RemoveRow)}
                                </button>
                            </div>
                        }).collect_view()}
                        <button type="button" class="button" on:click=move |_| reply.write(|r| if let Reply::List(l) = r { if let Some(x) = l.sections.get_mut(s) { let n = x.rows.len() + 1; x.rows.push(blank_choice(n)) } })>
                            {i18n.t(RepliesSaid::AddRow)}
                        </button>
                    </div>
                }).collect_view()}
                <button type="button" class="button" on:click=move |_| reply.write(|r| if let Reply::List(l) = r { l.sections.push(Section { title: None, rows: vec![blank_choice(1)] }) })>
                    {i18n.t(RepliesSaid::AddSection)}
                </button>
            }.into_any()
        }
    };
    view! {
        <div class="reply-form" data-kind=kind>
            {kind_select}
            {body}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::id_from_title;

    #[test]
    fn an_option_s_id_is_made_from_its_title() {
        assert_eq!(id_from_title("¿Ver precios?"), "ver_precios");
        assert_eq!(id_from_title("Horario de atención"), "horario_de_atencion");
        assert_eq!(id_from_title("Añadir 2 más"), "anadir_2_mas");
        assert_eq!(id_from_title("👋"), "");
    }
}
