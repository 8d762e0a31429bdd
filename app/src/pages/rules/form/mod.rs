//! The form of one rule: every feature the engine has — triggers (texts and how they
//! compare, tapped buttons or list rows, message types), conditions (hours, first contact,
//! labels), the replies (templates, texts, buttons, lists), actions, cooldown and a capture
//! step with its own replies.

use crate::components::browser;
use crate::components::document::DocEditor;
use crate::components::fields::{
    check_input, list_input, name_select, number_input, select_input, text_area, text_input, Field,
    ListStyle,
};
use crate::i18n::{use_i18n, Said};
use cocolu_core::model::{
    Action, ButtonsReply, Capture, Choice, HoursCondition, ListReply, MatchKind, Reply, Rule,
    Rules, Section,
};
use leptos::prelude::*;

type Editor = DocEditor<Rules>;

/// The rule at `index` of the draft.
#[derive(Clone, Copy)]
pub struct Lens {
    pub editor: Editor,
    pub index: usize,
}

impl Lens {
    fn read<R>(self, f: impl FnOnce(&Rule) -> R) -> Option<R> {
        self.editor.draft.with(|d| d.rules.get(self.index).map(f))
    }

    fn write(self, f: impl FnOnce(&mut Rule)) {
        self.editor.draft.update(|d| {
            if let Some(rule) = d.rules.get_mut(self.index) {
                f(rule)
            }
        });
    }

    fn pointer(self, rest: &str) -> String {
        format!("/rules/{}{rest}", self.index)
    }

    /// Sets what the rule is for; an id nobody wrote (a new rule's `regla_N`, or the one made
    /// from the previous description) follows it, when no other rule has it.
    fn describe(self, description: String) {
        self.editor.draft.update(|d| {
            let Some(rule) = d.rules.get(self.index) else {
                return;
            };
            let made = rule.id.starts_with("regla_")
                || (!rule.description.is_empty() && rule.id == id_from_title(&rule.description));
            let followed = id_from_title(&description);
            let free = d
                .rules
                .iter()
                .enumerate()
                .all(|(i, other)| i == self.index || other.id != followed);
            if let Some(rule) = d.rules.get_mut(self.index) {
                if made && free && !followed.is_empty() {
                    rule.id = followed;
                }
                rule.description = description;
            }
        });
    }

    fn id(self, part: &str) -> String {
        format!("rule-{part}")
    }
}

/// Which list of replies: the rule's own, or those after a capture.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Where {
    Reply,
    Then,
}

impl Where {
    fn of(self, rule: &Rule) -> Option<&Vec<Reply>> {
        match self {
            Where::Reply => Some(&rule.reply),
            Where::Then => rule.capture.as_ref().map(|c| &c.then),
        }
    }

    fn of_mut(self, rule: &mut Rule) -> Option<&mut Vec<Reply>> {
        match self {
            Where::Reply => Some(&mut rule.reply),
            Where::Then => rule.capture.as_mut().map(|c| &mut c.then),
        }
    }

    fn pointer(self) -> &'static str {
        match self {
            Where::Reply => "/reply",
            Where::Then => "/capture/then",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Where::Reply => "reply",
            Where::Then => "then",
        }
    }
}

const MESSAGE_TYPES: [(&str, RuleFormSaid); 8] = [
    ("audio", RuleFormSaid::TypeAudio),
    ("image", RuleFormSaid::TypeImage),
    ("video", RuleFormSaid::TypeVideo),
    ("document", RuleFormSaid::TypeDocument),
    ("sticker", RuleFormSaid::TypeSticker),
    ("location", RuleFormSaid::TypeLocation),
    ("contacts", RuleFormSaid::TypeContacts),
    ("order", RuleFormSaid::TypeOrder),
];

fn match_of(name: &str) -> MatchKind {
    match name {
        "exact" => MatchKind::Exact,
        "word" => MatchKind::Word,
        "starts_with" => MatchKind::StartsWith,
        "regex" => MatchKind::Regex,
        _ => MatchKind::Contains,
    }
}

/// The labels an action list adds or removes.
fn action_labels(actions: &[Action], adding: bool) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match (a, adding) {
            (Action::AddLabel(l), true) | (Action::RemoveLabel(l), false) => Some(l.clone()),
            _ => None,
        })
        .collect()
}

/// Rebuilds the actions from the form's parts (labels added, removed, handover, opt-out).
fn rebuild_actions(
    actions: &mut Vec<Action>,
    add: Option<Vec<String>>,
    remove: Option<Vec<String>>,
    handover: Option<bool>,
    opt_out: Option<bool>,
) {
    let add = add.unwrap_or_else(|| action_labels(actions, true));
    let remove = remove.unwrap_or_else(|| action_labels(actions, false));
    let handover = handover.unwrap_or_else(|| actions.contains(&Action::Handover));
    let opt_out = opt_out.unwrap_or_else(|| actions.contains(&Action::OptOut));
    *actions = add
        .into_iter()
        .map(Action::AddLabel)
        .chain(remove.into_iter().map(Action::RemoveLabel))
        .chain(handover.then_some(Action::Handover))
        .chain(opt_out.then_some(Action::OptOut))
        .collect();
}

/// The form of the rule at `lens.index`.
#[component]
pub fn RuleForm(
    lens: Lens,
    templates: StoredValue<Vec<String>>,
    on_delete: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let editor = lens.editor;
    let has_capture = Memo::new(move |_| lens.read(|r| r.capture.is_some()).unwrap_or(false));
    let types = MESSAGE_TYPES
        .iter()
        .map(|(name, label)| {
            let name = name.to_string();
            let (get_name, set_name) = (name.clone(), name.clone());
            check_input(
                format!("rule-type-{name}"),
                *label,
                move || {
                    lens.read(|r| r.when.message_type.contains(&get_name))
                        .unwrap_or(false)
                },
                move |on| {
                    let name = set_name.clone();
                    lens.write(|r| {
                        r.when.message_type.retain(|t| *t != name);
                        if on {
                            r.when.message_type.push(name);
                        }
                    })
                },
            )
        })
        .collect_view();
    let unusual = move || {
        lens.read(|r| r.cooldown_minutes > 0).unwrap_or(false)
            || ["/id", "/when/match", "/cooldown_minutes"]
                .iter()
                .any(|at| editor.error_at(&lens.pointer(at)).is_some())
    };
    // Opened for the owner, never closed under their fingers.
    let advanced_open = RwSignal::new(untrack(unusual));
    Effect::new(move |_| {
        if unusual() {
            advanced_open.set(true);
        }
    });
    let delete = move |_| {
        let question = RuleFormSaid::ConfirmDeleteRule.get(i18n.0.get_untracked());
        if browser::confirm(question) {
            on_delete.run(());
        }
    };
    view! {
        <form class="rule-form card" id="rule-form" on:submit=|ev| ev.prevent_default()>
            <fieldset class="form-section">
                <legend>{i18n.t(RuleFormSaid::RuleBasics)}</legend>
                {text_input(editor, Field::new(lens.id("description"), RuleFormSaid::RuleDescription, lens.pointer("/description")),
                    move || lens.read(|r| r.description.clone()).unwrap_or_default(),
                    move |v| lens.describe(v))}
                {check_input(lens.id("enabled"), crate::pages::rules::RulesSaid::RuleEnabled,
                    move || lens.read(|r| r.enabled).unwrap_or(false),
                    move |v| lens.write(|r| r.enabled = v))}
            </fieldset>
            <fieldset class="form-section">
                <legend>{i18n.t(RuleFormSaid::RuleTriggers)}</legend>
                <p class="field-hint">{i18n.t(RuleFormSaid::RuleTriggersHint)}</p>
                {list_input(editor, Field::new(lens.id("texts"), RuleFormSaid::RuleTexts, lens.pointer("/when/text")).hint(RuleFormSaid::RuleTextsHint), ListStyle::Lines,
                    move || lens.read(|r| r.when.text.clone()).unwrap_or_default(),
                    move |v| lens.write(|r| r.when.text = v))}
                {list_input(editor, Field::new(lens.id("buttons"), RuleFormSaid::RuleButtons, lens.pointer("/when/button")).hint(RuleFormSaid::RuleButtonsHint), ListStyle::Commas,
                    move || lens.read(|r| r.when.button.clone()).unwrap_or_default(),
                    move |v| lens.write(|r| r.when.button = v))}
                <div class="field">
                    <span class="field-label">{i18n.t(RuleFormSaid::RuleMessageTypes)}</span>
                    <div class="checks">{types}</div>
                </div>
            </fieldset>
            <fieldset class="form-section">
                <legend>{i18n.t(RuleFormSaid::RuleConditions)}</legend>
                {select_input(editor, Field::new(lens.id("hours"), RuleFormSaid::RuleHours, lens.pointer("/when/hours")),
                    vec![("any".into(), RuleFormSaid::HoursAny.into()), ("open".into(), RuleFormSaid::HoursOpen.into()), ("closed".into(), RuleFormSaid::HoursClosed.into())],
                    move || lens.read(|r| match r.when.hours {
                        None => "any",
                        Some(HoursCondition::Open) => "open",
                        Some(HoursCondition::Closed) => "closed",
                    }.to_string()).unwrap_or_default(),
                    move |v| lens.write(|r| r.when.hours = match v.as_str() {
                        "open" => Some(HoursCondition::Open),
                        "closed" => Some(HoursCondition::Closed),
                        _ => None,
                    }))}
                {select_input(editor, Field::new(lens.id("first"), RuleFormSaid::RuleFirstContact, lens.pointer("/when/first_contact")),
                    vec![("any".into(), RuleFormSaid::FirstAny.into()), ("yes".into(), RuleFormSaid::FirstYes.into()), ("no".into(), RuleFormSaid::FirstNo.into())],
                    move || lens.read(|r| match r.when.first_contact {
                        None => "any",
                        Some(true) => "yes",
                        Some(false) => "no",
                    }.to_string()).unwrap_or_default(),
                    move |v| lens.write(|r| r.when.first_contact = match v.as_str() {
                        "yes" => Some(true),
                        "no" => Some(false),
                        _ => None,
                    }))}
                {list_input(editor, Field::new(lens.id("labels-any"), RuleFormSaid::RuleLabelsAny, lens.pointer("/when/labels_any")), ListStyle::Commas,
                    move || lens.read(|r| r.when.labels_any.clone()).unwrap_or_default(),
                    move |v| lens.write(|r| r.when.labels_any = v))}
                {list_input(editor, Field::new(lens.id("labels-none"), RuleFormSaid::RuleLabelsNone, lens.pointer("/when/labels_none")), ListStyle::Commas,
                    move || lens.read(|r| r.when.labels_none.clone()).unwrap_or_default(),
                    move |v| lens.write(|r| r.when.labels_none = v))}
            </fieldset>
            <fieldset class="form-section">
                <legend>{i18n.t(RuleFormSaid::RuleReplies)}</legend>
                <ReplyList rule=lens at=Where::Reply templates />
            </fieldset>
            <fieldset class="form-section">
                <legend>{i18n.t(RuleFormSaid::RuleActions)}</legend>
                {list_input(editor, Field::new(lens.id("add-labels"), RuleFormSaid::RuleAddLabels, lens.pointer("/actions")), ListStyle::Commas,
                    move || lens.read(|r| action_labels(&r.actions, true)).unwrap_or_default(),
                    move |v| lens.write(|r| rebuild_actions(&mut r.actions, Some(v), None, None, None)))}
                {list_input(editor, Field::new(lens.id("remove-labels"), RuleFormSaid::RuleRemoveLabels, lens.pointer("/actions")), ListStyle::Commas,
                    move || lens.read(|r| action_labels(&r.actions, false)).unwrap_or_default(),
                    move |v| lens.write(|r| rebuild_actions(&mut r.actions, None, Some(v), None, None)))}
                {check_input(lens.id("handover"), RuleFormSaid::RuleHandover,
                    move || lens.read(|r| r.actions.contains(&Action::Handover)).unwrap_or(false),
                    move |v| lens.write(|r| rebuild_actions(&mut r.actions, None, None, Some(v), None)))}
                {check_input(lens.id("opt-out"), RuleFormSaid::RuleOptOut,
                    move || lens.read(|r| r.actions.contains(&Action::OptOut)).unwrap_or(false),
                    move |v| lens.write(|r| rebuild_actions(&mut r.actions, None, None, None, Some(v))))}
            </fieldset>
            <fieldset class="form-section">
                <legend>{i18n.t(RuleFormSaid::RuleCapture)}</legend>
                {check_input(lens.id("capture"), RuleFormSaid::RuleCaptureOn,
                    move || has_capture.get(),
                    move |on| lens.write(|r| r.capture = on.then(|| Capture { field: "pedido".into(), minutes: 30, then: Vec::new() })))}
                {move || has_capture.get().then(|| view! {
                    {text_input(editor, Field::new(lens.id("capture-field"), RuleFormSaid::RuleCaptureField, lens.pointer("/capture/field")).hint(RuleFormSaid::RuleCaptureFieldHint),
                        move || lens.read(|r| r.capture.as_ref().map(|c| c.field.clone()).unwrap_or_default()).unwrap_or_default(),
                        move |v| lens.write(|r| if let Some(c) = r.capture.as_mut() { c.field = v }))}
                    {number_input(editor, Field::new(lens.id("capture-minutes"), RuleFormSaid::RuleCaptureMinutes, lens.pointer("/capture/minutes")),
                        move || lens.read(|r| r.capture.as_ref().map_or(30, |c| c.minutes)).unwrap_or(30),
                        move |v| lens.write(|r| if let Some(c) = r.capture.as_mut() { c.minutes = v }))}
                    <h4>{i18n.t(RuleFormSaid::RuleCaptureThen)}</h4>
                    <ReplyList rule=lens at=Where::Then templates />
                })}
            </fieldset>
            // What most rules leave as it is, folded away; open when the rule waits before
            // repeating, or when one of them has a problem.
            <details class="form-section advanced" id=lens.id("advanced") open=move || advanced_open.get()>
                <summary>{i18n.t(RuleFormSaid::Advanced)}</summary>
                <p class="field-hint">{i18n.t(RuleFormSaid::AdvancedHint)}</p>
                {text_input(editor, Field::new(lens.id("id"), RuleFormSaid::RuleId, lens.pointer("/id")).hint(RuleFormSaid::RuleIdHint),
                    move || lens.read(|r| r.id.clone()).unwrap_or_default(),
                    move |v| lens.write(|r| r.id = v))}
                {select_input(editor, Field::new(lens.id("match"), RuleFormSaid::RuleMatch, lens.pointer("/when/match")),
                    vec![
                        ("contains".into(), RuleFormSaid::MatchContains.into()),
                        ("word".into(), RuleFormSaid::MatchWord.into()),
                        ("exact".into(), RuleFormSaid::MatchExact.into()),
                        ("starts_with".into(), RuleFormSaid::MatchStartsWith.into()),
                        ("regex".into(), RuleFormSaid::MatchRegex.into()),
                    ],
                    move || lens.read(|r| r.when.match_kind.name().to_string()).unwrap_or_default(),
                    move |v| lens.write(|r| r.when.match_kind = match_of(&v)))}
                {number_input(editor, Field::new(lens.id("cooldown"), RuleFormSaid::RuleCooldown, lens.pointer("/cooldown_minutes")).hint(RuleFormSaid::RuleCooldownHint),
                    move || lens.read(|r| r.cooldown_minutes).unwrap_or(0),
                    move |v| lens.write(|r| r.cooldown_minutes = v))}
            </details>
            <div class="actions">
                <button type="button" class="button button-danger" id="delete-rule" on:click=delete>
                    {i18n.t(RuleFormSaid::DeleteRule)}
                </button>
            </div>
        </form>
    }
}

/// The replies of a rule (or of its capture), in order, each editable, movable and removable.
mod replies;
use replies::{id_from_title, ReplyList};

crate::i18n::page_texts!(RuleFormSaid {
    DeleteRule => ("Borrar la regla", "Delete the rule"),
    RuleBasics => ("La regla", "The rule"),
    RuleTriggers => ("Cuándo responde", "When it answers"),
    RuleTriggersHint => ("Basta con uno de estos disparadores.", "Any one of these triggers is enough."),
    RuleMessageTypes => ("Tipos de mensaje", "Message types"),
    RuleConditions => ("Condiciones", "Conditions"),
    RuleReplies => ("Qué responde", "What it replies"),
    RuleActions => ("Qué más hace", "What else it does"),
    RuleCapture => ("Guardar la respuesta del cliente", "Keep the customer's answer"),
    RuleCaptureThen => ("Qué responde al recibirla", "What it replies once received"),
    ConfirmDeleteRule => ("¿Borrar esta regla? Se quita del borrador; nada cambia hasta que guardes.", "Delete this rule? It leaves the draft; nothing changes until you save."),
    Advanced => ("Avanzado", "Advanced"),
    AdvancedHint => ("El identificador de la regla, cómo se comparan sus textos y cada cuánto puede repetirse. Lo habitual sirve para casi todas.", "The rule's id, how its texts compare and how often it may repeat. The usual suits almost every rule."),
    RuleId => ("Identificador", "Id"),
    RuleIdHint => ("Se escribe solo a partir de «Para qué sirve»; cámbialo si quieres (minúsculas, números, _ y -). Los botones de otros menús lo usan para llegar aquí.", "Written for you from «What it is for»; change it if you like (lowercase letters, digits, _ and -). Buttons of other menus use it to lead here."),
    RuleDescription => ("Para qué sirve", "What it is for"),
    RuleTexts => ("Textos del cliente", "The customer's texts"),
    RuleTextsHint => ("Uno por línea. No importan mayúsculas, acentos ni signos.", "One per line. Case, accents and punctuation do not matter."),
    RuleMatch => ("Cómo se comparan", "How they compare"),
    MatchContains => ("El mensaje contiene el texto", "The message contains the text"),
    MatchWord => ("Como palabras enteras", "As whole words"),
    MatchExact => ("El mensaje es exactamente el texto", "The message is exactly the text"),
    MatchStartsWith => ("El mensaje empieza por el texto", "The message starts with the text"),
    MatchRegex => ("Expresión regular", "Regular expression"),
    RuleButtons => ("Botones o filas de lista tocados (ids)", "Buttons or list rows tapped (ids)"),
    RuleButtonsHint => ("Separados por comas.", "Separated by commas."),
    TypeAudio => ("Nota de voz o audio", "Voice note or audio"),
    TypeImage => ("Imagen", "Image"),
    TypeVideo => ("Vídeo", "Video"),
    TypeDocument => ("Documento", "Document"),
    TypeSticker => ("Sticker", "Sticker"),
    TypeLocation => ("Ubicación", "Location"),
    TypeContacts => ("Contacto", "Contact card"),
    TypeOrder => ("Pedido del catálogo", "Catalogue order"),
    RuleHours => ("Horario", "Hours"),
    HoursAny => ("A cualquier hora", "At any time"),
    HoursOpen => ("Solo con la tienda abierta", "Only while open"),
    HoursClosed => ("Solo con la tienda cerrada", "Only while closed"),
    RuleFirstContact => ("Primer mensaje del cliente", "The customer's first message"),
    FirstAny => ("Da igual", "Either"),
    FirstYes => ("Solo en su primer mensaje", "Only on their first message"),
    FirstNo => ("Solo después del primero", "Only after the first"),
    RuleLabelsAny => ("Solo si tiene alguna de estas etiquetas", "Only with one of these labels"),
    RuleLabelsNone => ("Solo si no tiene ninguna de estas etiquetas", "Only with none of these labels"),
    RuleAddLabels => ("Añadir etiquetas", "Add labels"),
    RuleRemoveLabels => ("Quitar etiquetas", "Remove labels"),
    RuleHandover => ("Pasar la conversación a una persona (el bot se pausa)", "Hand the chat to a person (the bot pauses)"),
    RuleOptOut => ("Dar de baja al cliente de los mensajes automáticos", "Opt the customer out of automatic messages"),
    RuleCooldown => ("Minutos antes de repetir esta respuesta al mismo cliente", "Minutes before answering the same customer again"),
    RuleCooldownHint => ("0: responde siempre.", "0: always answers."),
    RuleCaptureOn => ("Después de responder, guardar el siguiente mensaje del cliente", "After replying, keep the customer's next message"),
    RuleCaptureField => ("Nombre del dato", "Name of the field"),
    RuleCaptureFieldHint => ("Por ejemplo pedido o email; se usa como {{pedido}} en los textos.", "Such as pedido or email; used as {{pedido}} in texts."),
    RuleCaptureMinutes => ("Minutos que espera la respuesta", "Minutes it waits for the answer"),
});
pub use replies::TemplateTexts;
