//! Manual replies: free text inside the 24-hour window (with the shop's saved answers typed
//! with `/`), an approved template (with its parameters) outside it.

use super::attach::{Attachment, EmojiPicker, NotSent};
use super::*;
use cocolu_core::quick_replies::{QuickReplies, QuickReply};

crate::i18n::page_texts!(ComposerSaid {
    QuickNoneFound => ("Ninguna respuesta rápida coincide. Se crean en", "No quick reply matches. Create them in"),
    ReplyLabel => ("Tu respuesta", "Your reply"),
    ReplyPlaceholder => ("Escribe un mensaje", "Write a message"),
    CaptionPlaceholder => ("Comentario (opcional)", "Caption (optional)"),
    ReplyShortcut => ("/ abre tus respuestas rápidas; Ctrl+Intro envía", "/ opens your quick replies; Ctrl+Enter sends"),
    Send => ("Enviar", "Send"),
    QuickButton => ("Respuestas rápidas (o escribe / en el mensaje)", "Quick replies (or type / in the message)"),
    WindowClosed => (
        "Pasaron más de 24 horas desde el último mensaje del cliente: WhatsApp solo permite enviar una plantilla aprobada por Meta.",
        "More than 24 hours have passed since the customer's last message: WhatsApp only allows a template approved by Meta.",
    ),
    ChooseTemplate => ("Elegir una plantilla aprobada", "Choose an approved template"),
    TemplatesUnavailable => ("No se pudieron leer las plantillas aprobadas de Meta", "Meta's approved templates could not be read"),
    NoApprovedTemplates => ("Tu cuenta no tiene plantillas aprobadas todavía.", "Your account has no approved templates yet."),
    ApprovedTemplate => ("Plantilla aprobada", "Approved template"),
    SendTemplate => ("Enviar plantilla", "Send template"),
    ReplyFailed => ("No se pudo enviar", "Could not send"),
});

/// How many `{{n}}` parameters a template body has.
fn parameter_count(body: &str) -> usize {
    (1..=20)
        .take_while(|n| body.contains(&format!("{{{{{n}}}}}")))
        .count()
}

/// Manual replies: text inside the 24-hour window, an approved template outside it; a file
/// too where the channel sends one (`sends_files`).
#[component]
pub(super) fn Composer(
    id: String,
    window_open: Signal<bool>,
    sends_files: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = toaster();
    let draft = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let path = conversation_path(&id, "messages");
    let send = {
        let path = path.clone();
        move |message: Value, after: Box<dyn FnOnce()>| {
            sending.set(true);
            let path = path.clone();
            leptos::task::spawn_local(async move {
                match api::send::<Value>("POST", path, Some(json!({ "message": message }))).await {
                    // The reply shows in the thread at once with its tick: no toast over the
                    // conversation's header besides it.
                    Ok(_) => {
                        after();
                        toasts.clear_failures();
                    }
                    Err(failure) => toasts.failed(ComposerSaid::ReplyFailed, failure),
                }
                sending.set(false);
            });
        }
    };
    let attachment = Attachment::new();
    let send_text = {
        let send = send.clone();
        move || {
            let body = draft.get_untracked();
            let attached = attachment.picked_untracked();
            if (body.trim().is_empty() && !attached) || sending.get_untracked() {
                return;
            }
            let sent = body.clone();
            // What was typed or picked while it went is kept.
            let after = Box::new(move || {
                draft.update(|d| {
                    if *d == sent {
                        d.clear();
                    }
                })
            });
            if !attached {
                send(json!({ "type": "text", "body": body }), after);
                return;
            }
            // The file first, then the reply that sends it with the text as its caption.
            sending.set(true);
            let send = send.clone();
            leptos::task::spawn_local(async move {
                match attachment.upload(&body).await {
                    Ok(message) => send(
                        message,
                        Box::new(move || {
                            attachment.clear();
                            after();
                        }),
                    ),
                    Err(NotSent::Failed(failure)) => {
                        toasts.failed(ComposerSaid::ReplyFailed, failure);
                        sending.set(false);
                    }
                    Err(NotSent::Refused(fault)) => {
                        toasts.refused(ComposerSaid::ReplyFailed, fault);
                        sending.set(false);
                    }
                }
            });
        }
    };
    let on_submit = {
        let send_text = send_text.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            send_text();
        }
    };
    let quick = QuickMenu::new(&id, draft);
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if quick.on_key(&ev) {
            ev.prevent_default();
        } else if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            send_text();
        }
    };
    // The composer or the template picker, rebuilt only when the window opens or closes.
    let open = Memo::new(move |_| window_open.get());
    view! {
        {move || if open.get() {
            view! {
            <form class="composer" id="composer" on:submit=on_submit.clone()>
                {attachment.chip()}
                <div class="composer-tools">
                    <EmojiPicker draft />
                    {move || sends_files.get().then(|| attachment.button(sending))}
                    {quick.button()}
                </div>
                <label class="visually-hidden" for="composer-text">{i18n.t(ComposerSaid::ReplyLabel)}</label>
                <textarea
                    id="composer-text"
                    rows="2"
                    placeholder=move || if attachment.is_some() {
                        i18n.t(ComposerSaid::CaptionPlaceholder)()
                    } else {
                        i18n.t(ComposerSaid::ReplyPlaceholder)()
                    }
                    title=i18n.t(ComposerSaid::ReplyShortcut)
                    aria-keyshortcuts="Control+Enter"
                    role="combobox"
                    aria-autocomplete="list"
                    aria-controls="quick-options"
                    aria-expanded=move || if quick.open() { "true" } else { "false" }
                    aria-activedescendant=move || quick.active_option()
                    bind:value=draft
                    on:keydown=on_key.clone()
                ></textarea>
                {quick.view()}
                <button
                    type="submit"
                    class="button button-primary"
                    disabled=move || sending.get() || (draft.read().trim().is_empty() && !attachment.is_some())
                >
                    {i18n.t(ComposerSaid::Send)}
                </button>
            </form>
            }.into_any()
        } else {
            let send = send.clone();
            view! { <TemplatePicker send sending /> }.into_any()
        }}
    }
}

/// Most answers the menu lists at once (the search narrows the rest).
const MENU_MAX: usize = 30;

/// The saved answers offered while the draft is `/` and a word: loaded (filled in for this
/// customer by the server) each time a `/` starts a search, searched as the person types,
/// picked with the arrows and Enter (or Tab, or a tap), closed with Escape.
#[derive(Clone, Copy)]
struct QuickMenu {
    draft: RwSignal<String>,
    /// `None` while loading; an error in words when the load failed.
    replies: RwSignal<Option<Result<Vec<QuickReply>, String>>>,
    chosen: RwSignal<usize>,
    closed: RwSignal<bool>,
    path: StoredValue<String>,
}

impl QuickMenu {
    fn new(conversation: &str, draft: RwSignal<String>) -> QuickMenu {
        let menu = QuickMenu {
            draft,
            replies: RwSignal::new(None),
            chosen: RwSignal::new(0),
            closed: RwSignal::new(false),
            path: StoredValue::new(conversation_path(conversation, "quick-replies")),
        };
        let active = Memo::new(move |_| menu.search().is_some());
        // Each new `/` loads the answers afresh (edited since, a field captured since, a new
        // day for the hours); closing with Escape lasts until the `/` goes.
        Effect::new(move |_| {
            if active.get() {
                menu.replies.set(None);
                let request = api::get_json::<Vec<QuickReply>>(&menu.path.get_value());
                leptos::task::spawn_local(async move {
                    menu.replies.try_set(Some(request.await));
                });
            } else {
                menu.closed.set(false);
            }
        });
        Effect::new(move |_| {
            menu.search();
            menu.chosen.set(0);
        });
        menu
    }

    /// What follows `/` while the draft is a `/` and one word (a phone keyboard's suggestion
    /// adds a space after it).
    fn search(self) -> Option<String> {
        self.draft.with(|d| {
            d.strip_prefix('/')
                .map(str::trim_end)
                .filter(|rest| !rest.contains(char::is_whitespace))
                .map(str::to_string)
        })
    }

    /// The answers the search finds (empty until loaded), the best first.
    fn found(self) -> Vec<QuickReply> {
        let Some(search) = self.search() else {
            return Vec::new();
        };
        self.replies.with(|all| match all {
            Some(Ok(all)) => QuickReplies::matching(all, &search)
                .into_iter()
                .take(MENU_MAX)
                .cloned()
                .collect(),
            _ => Vec::new(),
        })
    }

    fn open(self) -> bool {
        self.search().is_some() && !self.closed.get()
    }

    fn pick(self, reply: &QuickReply) {
        self.draft.set(reply.text.clone());
    }

    /// Handles a key while the menu is open; `true` when it used it. Keys with a modifier
    /// (Ctrl+Enter sends, Shift+Tab moves back) and keys of a word being composed (an input
    /// method) are left alone.
    fn on_key(self, ev: &leptos::ev::KeyboardEvent) -> bool {
        let modified = ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.shift_key();
        if !self.open() || modified || ev.is_composing() || ev.key_code() == 229 {
            return false;
        }
        let found = self.found();
        let last = found.len().saturating_sub(1);
        match ev.key().as_str() {
            "ArrowDown" => self.chosen.update(|i| *i = (*i + 1).min(last)),
            "ArrowUp" => self.chosen.update(|i| *i = i.saturating_sub(1)),
            "Enter" | "Tab" if !found.is_empty() => {
                if let Some(reply) = found.get(self.chosen.get_untracked()) {
                    self.pick(reply);
                }
            }
            "Escape" => self.closed.set(true),
            _ => return false,
        }
        true
    }

    /// Opens the menu from a button, for a phone without a `/` in sight: the box becomes `/`
    /// (the search for every answer). A message already written stays: a picked answer
    /// would replace it, so the button waits until the box is empty.
    fn button(self) -> impl IntoView {
        let i18n = use_i18n();
        let written = move || {
            self.draft
                .with(|d| !d.trim().is_empty() && !d.starts_with('/'))
        };
        view! {
            <button
                type="button"
                class="icon-button composer-tool"
                id="quick-toggle"
                title=i18n.t(ComposerSaid::QuickButton)
                aria-label=i18n.t(ComposerSaid::QuickButton)
                aria-controls="quick-options"
                disabled=written
                on:click=move |_| {
                    if self.search().is_none() {
                        self.draft.set("/".into());
                    }
                    self.closed.set(false);
                    crate::components::browser::focus("composer-text");
                }
            >
                <crate::components::Icon name=crate::components::IconName::QuickReplies />
            </button>
        }
    }

    /// The option the arrows are on, for assistive technology.
    fn active_option(self) -> Option<String> {
        self.open()
            .then(|| format!("quick-option-{}", self.chosen.get()))
    }

    fn view(self) -> impl IntoView {
        let i18n = use_i18n();
        move || {
            self.open().then(|| {
                let found = self.found();
                let status = match self.replies.get() {
                    None => Some(i18n.t(Text::Loading)().to_string()),
                    Some(Err(error)) => Some(format!("{} ({error})", i18n.t(Text::LoadFailed)())),
                    Some(Ok(_)) if found.is_empty() => None,
                    Some(Ok(_)) => Some(String::new()),
                };
                view! {
                    <div class="quick-menu card" id="quick-menu">
                        {match status {
                            Some(words) if !words.is_empty() => view! { <p class="field-hint" role="status">{words}</p> }.into_any(),
                            None => view! {
                                <p class="field-hint" id="quick-none" role="status">
                                    {i18n.t(ComposerSaid::QuickNoneFound)} " "
                                    <a href="/quick-replies">{i18n.t(Text::NavQuickReplies)}</a>
                                </p>
                            }.into_any(),
                            Some(_) => view! {
                                <ul role="listbox" id="quick-options" aria-label=i18n.t(Text::NavQuickReplies)>
                                    {found.into_iter().enumerate().map(|(index, reply)| {
                                        let preview = reply.text.lines().next().unwrap_or_default().to_string();
                                        let shortcut = format!("/{}", reply.shortcut);
                                        let chosen = move || self.chosen.get() == index;
                                        let tapped = reply.clone();
                                        view! {
                                            <li role="option" id=format!("quick-option-{index}")
                                                aria-selected=move || if chosen() { "true" } else { "false" }
                                                class:chosen=chosen data-shortcut=reply.shortcut.clone()
                                                // Keeps the focus (and the phone's keyboard) in the text box.
                                                on:pointerdown=|ev| ev.prevent_default()
                                                on:click=move |_| self.pick(&tapped)>
                                                <strong class="mono">{shortcut}</strong>
                                                <span class="quick-preview">{preview}</span>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                        }}
                    </div>
                }
            })
        }
    }
}

/// Outside the window: why free text is not allowed, and an approved template to send.
#[component]
fn TemplatePicker(
    send: impl Fn(Value, Box<dyn FnOnce()>) + Clone + Send + Sync + 'static,
    sending: RwSignal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let templates = RwSignal::new(None::<Result<Vec<ApprovedTemplate>, String>>);
    let chosen = RwSignal::new(None::<usize>);
    let parameters = RwSignal::new(Vec::<String>::new());
    let load = move |_| {
        templates.set(Some(Ok(Vec::new())));
        let request = api::get_json::<Vec<ApprovedTemplate>>("/api/channel/templates");
        leptos::task::spawn_local(async move {
            templates.set(Some(request.await));
        });
    };
    let template = move || {
        let index = chosen.get()?;
        templates.get()?.ok()?.get(index).cloned()
    };
    let choose = move |ev| {
        let index = event_target_value(&ev).parse::<usize>().ok();
        chosen.set(index);
        let count = template()
            .and_then(|t| t.body)
            .map_or(0, |b| parameter_count(&b));
        parameters.set(vec![String::new(); count]);
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(t) = template() {
            send(
                json!({
                    "type": "template",
                    "name": t.name,
                    "language": t.language,
                    "parameters": parameters.get_untracked(),
                }),
                Box::new(move || chosen.set(None)),
            );
        }
    };
    view! {
        <div class="composer composer--closed" id="composer">
            <p class="notice" id="window-closed">{i18n.t(ComposerSaid::WindowClosed)}</p>
            {move || match templates.get() {
                None => view! {
                    <button type="button" class="button" id="load-templates" on:click=load>
                        {i18n.t(ComposerSaid::ChooseTemplate)}
                    </button>
                }.into_any(),
                Some(Err(error)) => view! {
                    <p class="notice notice-error" role="alert">{i18n.t(ComposerSaid::TemplatesUnavailable)} " (" {error} ")"</p>
                }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <p class="loading">{i18n.t(ComposerSaid::NoApprovedTemplates)}</p>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <form class="template-form" on:submit=submit.clone()>
                        <label for="template-choice">{i18n.t(ComposerSaid::ApprovedTemplate)}</label>
                        <select id="template-choice" on:change=choose>
                            <option value="">"—"</option>
                            {list.iter().enumerate().map(|(i, t)| view! {
                                <option value=i.to_string()>{format!("{} ({})", t.name, t.language)}</option>
                            }).collect_view()}
                        </select>
                        {move || template().and_then(|t| t.body).map(|body| view! {
                            <p class="template-body"><Formatted text=body /></p>
                        })}
                        {move || (0..parameters.read().len()).map(|i| view! {
                            <label>
                                {format!("{{{{{}}}}}", i + 1)}
                                <input
                                    type="text"
                                    required
                                    prop:value=move || parameters.read().get(i).cloned().unwrap_or_default()
                                    on:input=move |ev| parameters.update(|p| p[i] = event_target_value(&ev))
                                />
                            </label>
                        }).collect_view()}
                        <button type="submit" class="button button-primary" disabled=move || sending.get() || chosen.get().is_none()>
                            {i18n.t(ComposerSaid::SendTemplate)}
                        </button>
                    </form>
                }.into_any(),
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parameters_are_counted() {
        assert_eq!(parameter_count("Hola {{1}}, tu pedido {{2}} está listo"), 2);
        assert_eq!(parameter_count("Sin variables"), 0);
    }
}
